using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace SessionFunctions.Cookies;

/// <summary>
/// crypto-utils/keygrip with its defaults (HMAC-SHA1, base64url without padding): the first key signs,
/// every key verifies in constant time, and the index of the matching key says whether to re-sign.
/// </summary>
internal sealed class Keygrip
{
    private const int SignatureLength = 27; // base64url of 20 bytes, unpadded
    private const int MaxStackData = 256;

    // One keyed HMAC per key and thread, reused: setting up the key costs more than hashing a cookie.
    private readonly ThreadLocal<IncrementalHash>[] _hmacs;

    public Keygrip(IEnumerable<string> keys)
    {
        _hmacs = keys.Select(key => Encoding.UTF8.GetBytes(key))
            .Select(key => new ThreadLocal<IncrementalHash>(() => IncrementalHash.CreateHMAC(HashAlgorithmName.SHA1, key)))
            .ToArray();
        if (_hmacs.Length == 0)
            throw new ArgumentException("Keygrip needs at least one key.", nameof(keys));
    }

    /// <summary>The signature of <paramref name="data"/> with the first key.</summary>
    public string Sign(string data)
    {
        Span<byte> signature = stackalloc byte[SignatureLength];
        Sign(data, 0, signature);
        return Encoding.ASCII.GetString(signature);
    }

    /// <summary>The index of the first key whose signature of <paramref name="data"/> equals <paramref name="signature"/>, or -1.</summary>
    public int Index(string data, string signature)
    {
        // The length of a signature is no secret; only its content is compared in constant time.
        if (signature.Length != SignatureLength) return -1;
        Span<byte> given = stackalloc byte[SignatureLength * 3];
        given = given[..Encoding.UTF8.GetBytes(signature, given)];
        Span<byte> expected = stackalloc byte[SignatureLength];
        for (var i = 0; i < _hmacs.Length; i++)
        {
            Sign(data, i, expected);
            if (CryptographicOperations.FixedTimeEquals(expected, given)) return i;
        }
        return -1;
    }

    private void Sign(string data, int key, Span<byte> signature)
    {
        var length = Encoding.UTF8.GetMaxByteCount(data.Length);
        Span<byte> utf8 = length > MaxStackData ? new byte[length] : stackalloc byte[MaxStackData];
        utf8 = utf8[..Encoding.UTF8.GetBytes(data, utf8)];
        var hmac = _hmacs[key].Value!;
        hmac.AppendData(utf8);
        Span<byte> mac = stackalloc byte[20];
        hmac.GetHashAndReset(mac);
        Base64Url.EncodeToUtf8(mac, signature);
    }
}
