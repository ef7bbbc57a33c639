using System.Security.Cryptography;
using System.Text;
using SessionFunctions.Cookies;

namespace SessionFunctions.UserIndex;

/// <summary>
/// A session's handle in its user's list: base64url of the HMAC-SHA1 of the sid with the first signing key. Never the
/// sid (a bearer credential) and not reversible to it; it changes when the keys rotate.
/// </summary>
internal sealed class SessionHandles(IEnumerable<string> keys)
{
    // Signs something no cookie signature is made of, so a handle is never a valid ".sig" of anything.
    private const string Context = "session-handle:";

    private readonly Keygrip _keys = new(keys);

    public string Of(string sessionId) => _keys.Sign(Context + sessionId);

    /// <summary>Whether <paramref name="handle"/> is the session's, compared in constant time.</summary>
    public bool Matches(string sessionId, string handle) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(Of(sessionId)), Encoding.UTF8.GetBytes(handle));
}
