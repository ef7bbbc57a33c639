using System.Security.Cryptography;
using System.Text;

namespace SessionFunctions.Storage;

/// <summary>
/// The identity of a stored session's exact text: the lower-case hex SHA-1 of its UTF-8 bytes, as Redis Lua's
/// <c>redis.sha1hex</c> computes it. A store compares it server-side to write only over the value a save started from,
/// and it is the session's <c>ETag</c>, so Koa's writes change it too without any extra field in the value.
/// </summary>
internal static class SessionHash
{
    public static string Of(string json)
    {
        var length = Encoding.UTF8.GetMaxByteCount(json.Length);
        var rented = length > 1024 ? System.Buffers.ArrayPool<byte>.Shared.Rent(length) : null;
        try
        {
            Span<byte> utf8 = rented ?? stackalloc byte[1024];
            var written = Encoding.UTF8.GetBytes(json, utf8);
            Span<byte> hash = stackalloc byte[SHA1.HashSizeInBytes];
            SHA1.HashData(utf8[..written], hash);
            return Convert.ToHexStringLower(hash);
        }
        finally
        {
            if (rented is not null) System.Buffers.ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
