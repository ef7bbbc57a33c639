using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace SessionFunctions;

/// <summary>
/// crypto-utils/keygrip with its defaults (HMAC-SHA1, base64url without padding): the first key signs,
/// every key verifies in constant time, and the index of the matching key says whether to re-sign.
/// </summary>
public sealed class Keygrip
{
    private readonly byte[][] _keys;

    public Keygrip(IEnumerable<string> keys)
    {
        _keys = keys.Select(Encoding.UTF8.GetBytes).ToArray();
        if (_keys.Length == 0)
            throw new ArgumentException("Keygrip needs at least one key.", nameof(keys));
    }

    /// <summary>The signature of <paramref name="data"/> with the first key.</summary>
    public string Sign(string data) => Sign(data, _keys[0]);

    /// <summary>The index of the first key whose signature of <paramref name="data"/> equals <paramref name="signature"/>, or -1.</summary>
    public int Index(string data, string signature)
    {
        var given = Encoding.UTF8.GetBytes(signature);
        for (var i = 0; i < _keys.Length; i++)
        {
            if (CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Sign(data, _keys[i])), given))
                return i;
        }
        return -1;
    }

    private static string Sign(string data, byte[] key) =>
        Base64Url.EncodeToString(HMACSHA1.HashData(key, Encoding.UTF8.GetBytes(data)));
}
