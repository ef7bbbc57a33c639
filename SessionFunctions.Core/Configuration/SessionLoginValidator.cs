using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;

namespace SessionFunctions.Configuration;

/// <summary>
/// Checks <c>Session:Login</c> at startup (called by <see cref="SessionApiOptionsValidator"/>), and reads its signing
/// keys, so that a key that does not parse stops the deployment rather than every login.
/// </summary>
internal static class SessionLoginValidator
{
    /// <summary>Asymmetric JWS algorithms only: a symmetric key in configuration would let whoever reads it mint logins.</summary>
    private static readonly HashSet<string> Asymmetric = new(StringComparer.Ordinal)
    {
        "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512",
    };

    public static void Validate(SessionApiOptions options, IReadOnlyList<string> protectedPaths, Action<string, string> fail)
    {
        var login = options.Login;
        if (!login.IsConfigured) return;
        const string Section = "Login:";

        if (login.Authority is { Length: > 0 } authority
            && (!Uri.TryCreate(authority, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && !(uri.Scheme == Uri.UriSchemeHttp && uri.IsLoopback))))
        {
            fail(Section + "Authority", $"must be the provider's absolute HTTPS URL (HTTP only on localhost), e.g. https://login.microsoftonline.com/{{tenant}}/v2.0; got '{authority}'.");
        }
        for (var i = 0; i < login.SigningKeys.Count; i++)
        {
            try
            {
                ReadKey(login.SigningKeys[i]);
            }
            catch (Exception error) when (error is ArgumentException or CryptographicException or JsonException or FormatException)
            {
                fail($"{Section}SigningKeys:{i}", $"must be a PEM public key (-----BEGIN PUBLIC KEY-----, RSA or EC) or a public JWK as JSON: {error.Message}");
            }
        }
        if (login.Audiences.Count == 0 || login.Audiences.Any(string.IsNullOrWhiteSpace))
            fail(Section + "Audiences", "at least one audience (the SPA's client id at the provider) is required, none empty.");
        if (string.IsNullOrWhiteSpace(login.Authority) && (login.Issuers.Count == 0 || login.Issuers.Any(string.IsNullOrWhiteSpace)))
            fail(Section + "Issuers", "at least one issuer is required with Session:Login:SigningKeys and no Authority, none empty.");
        var algorithms = login.Algorithms ?? SessionLoginDefaults.Algorithms;
        if (algorithms.Count == 0)
            fail(Section + "Algorithms", "at least one algorithm is required; leave it unset for RS256 and ES256.");
        foreach (var algorithm in algorithms.Where(a => !Asymmetric.Contains(a)))
            fail(Section + "Algorithms", $"'{algorithm}' is not accepted: only {string.Join(", ", Asymmetric)} (never none, nor a symmetric HS algorithm).");
        if (login.ClockSkewSeconds is < 0 or > 300)
            fail(Section + "ClockSkewSeconds", $"must be between 0 and 300 seconds; got {login.ClockSkewSeconds}.");

        var claims = ClaimsOf(options);
        if (claims.Count == 0) fail(Section + "Claims", "at least one claim must be mapped, to the user id.");
        foreach (var (pointer, names) in claims)
        {
            if (pointer is not { Length: > 1 } || pointer[0] != '/')
                fail($"{Section}Claims", $"'{pointer}' is not a JSON pointer to a field of the session, such as /user/id.");
            else if (!protectedPaths.Any(p => p.Length > 1 && ProtectedPaths.Covers(p, pointer)))
                fail($"{Section}Claims", $"{pointer} is not under Session:ProtectedPaths, so a client could overwrite what the login wrote there.");
            if (Names(names).Length == 0)
                fail($"{Section}Claims", $"{pointer} names no claim.");
        }
        if (options.UserIdPath is { } userIdPath && !claims.ContainsKey(userIdPath))
            fail(Section + "Claims", $"must map Session:UserIdPath ({userIdPath}) to a claim, e.g. oid or sub.");
    }

    /// <summary>The claims a login writes: the configured map, else the user id path ← <c>oid sub</c>.</summary>
    public static IReadOnlyDictionary<string, string> ClaimsOf(SessionApiOptions options) =>
        options.Login.Claims ?? new Dictionary<string, string> { [options.UserIdPath ?? SessionLoginDefaults.UserIdPath] = SessionLoginDefaults.UserIdClaims };

    /// <summary>The claim names of one mapping, the first present one winning.</summary>
    public static string[] Names(string? names) => names?.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];

    /// <summary>A configured signing key: a PEM public key (RSA or EC) or a JWK.</summary>
    public static SecurityKey ReadKey(string text)
    {
        var trimmed = text.Trim();
        var key = trimmed.StartsWith('{') ? new JsonWebKey(trimmed) : null;
        // A private key in configuration would let whoever reads the configuration mint logins.
        // (d: an RSA or EC private key, even without its CRT members; k: a symmetric one).
        if (key?.D is not null || key?.K is not null || trimmed.Contains("PRIVATE KEY", StringComparison.Ordinal))
            throw new ArgumentException("A private key does not belong in configuration: give the public key.");
        if (key is not null) return key;
        if (!trimmed.StartsWith("-----BEGIN PUBLIC KEY-----", StringComparison.Ordinal) && !trimmed.StartsWith("-----BEGIN RSA PUBLIC KEY-----", StringComparison.Ordinal))
            throw new ArgumentException("Not a PEM public key or a JWK.");
        try
        {
            var rsa = RSA.Create();
            rsa.ImportFromPem(trimmed);
            return new RsaSecurityKey(rsa);
        }
        catch (Exception error) when (error is ArgumentException or CryptographicException)
        {
            var ec = ECDsa.Create();
            ec.ImportFromPem(trimmed);
            return new ECDsaSecurityKey(ec);
        }
    }
}
