namespace SessionFunctions.Configuration;

/// <summary>
/// The verified login (<c>Session:Login</c>): which OpenID Connect ID tokens <c>POST /api/session/regenerate</c> accepts
/// in <c>Authorization: Bearer</c>, and which of their claims it writes into the session's protected fields
/// (<see cref="SessionApiOptions.ProtectedPaths"/>). Tokens are validated by Microsoft.IdentityModel: signature, issuer,
/// audience, lifetime and algorithm. Off (a bearer token gets <c>401 invalid-token</c>) until <see cref="Authority"/> or
/// <see cref="SigningKeys"/> is set.
/// </summary>
public sealed class SessionLoginOptions
{
    /// <summary>
    /// The OpenID Connect provider, e.g. <c>https://login.microsoftonline.com/{tenant}/v2.0</c>: its signing keys and
    /// issuer come from <c>{Authority}/.well-known/openid-configuration</c>, fetched at the first login and refreshed as
    /// the provider rotates keys. HTTPS, except for localhost. Default: none.
    /// </summary>
    public string? Authority { get; set; }

    /// <summary>
    /// Signing keys given in configuration instead of (or besides) the <see cref="Authority"/>'s, for offline use and
    /// tests: each a PEM public key (<c>-----BEGIN PUBLIC KEY-----</c>, RSA or EC) or a JWK as JSON. Default: none.
    /// </summary>
    public List<string> SigningKeys { get; set; } = [];

    /// <summary>
    /// The accepted <c>iss</c> values. Required with <see cref="SigningKeys"/> alone; with an <see cref="Authority"/>,
    /// the discovery document's issuer is accepted too. Default: none.
    /// </summary>
    public List<string> Issuers { get; set; } = [];

    /// <summary>The accepted <c>aud</c> values: the SPA's client id at the provider. Required. Default: none.</summary>
    public List<string> Audiences { get; set; } = [];

    /// <summary>
    /// The accepted signature algorithms (<c>alg</c>); asymmetric ones only, never <c>none</c>. Default: none configured,
    /// which means <see cref="SessionLoginDefaults.Algorithms"/> (<c>RS256</c>, <c>ES256</c>). A configured list replaces it.
    /// </summary>
    public List<string>? Algorithms { get; set; }

    /// <summary>
    /// Which claims a login writes where: JSON pointer (under a protected path) → claim names, separated by spaces, the
    /// first present one winning; a claim's JSON value is written as it is. The pointer to
    /// <see cref="SessionApiOptions.UserIdPath"/> is required: a token without any of its claims is refused. Default:
    /// none configured, which means the user id path (<see cref="SessionApiOptions.UserIdPath"/>, else <c>/user/id</c>)
    /// ← <c>oid sub</c> (Entra ID's stable object id, else the standard subject). A configured map replaces it.
    /// </summary>
    public Dictionary<string, string>? Claims { get; set; }

    /// <summary>The clock skew allowed on <c>exp</c> and <c>nbf</c>, in seconds. Default 60.</summary>
    public int ClockSkewSeconds { get; set; } = SessionLoginDefaults.ClockSkewSeconds;

    /// <summary>Whether a verified login is configured: an <see cref="Authority"/> or <see cref="SigningKeys"/>.</summary>
    public bool IsConfigured => !string.IsNullOrWhiteSpace(Authority) || SigningKeys.Count > 0;
}

/// <summary>Defaults of <see cref="SessionLoginOptions"/>.</summary>
public static class SessionLoginDefaults
{
    /// <summary>The configuration section, below <c>Session</c>.</summary>
    public const string Section = "Login";

    /// <summary>The accepted algorithms when none are configured.</summary>
    public static IReadOnlyList<string> Algorithms { get; } = ["RS256", "ES256"];

    /// <summary>The claims of the user id when none are configured: Entra ID's object id, else the standard subject.</summary>
    public const string UserIdClaims = "oid sub";

    /// <summary>The user id path the login writes when <c>Session:UserIdPath</c> is unset.</summary>
    public const string UserIdPath = "/user/id";

    /// <summary>The clock skew allowed on <c>exp</c> and <c>nbf</c>, in seconds.</summary>
    public const int ClockSkewSeconds = 60;
}
