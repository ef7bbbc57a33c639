using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using SessionFunctions.Configuration;

namespace SessionFunctions.Server;

/// <summary>
/// A local OpenID Connect issuer for the demo SPA and the browser tests (<c>Session:Login:DevelopmentIssuer</c>): an
/// ES256 key made at startup and kept in memory only, which <c>Session:Login</c> is set to trust (its public key, this
/// issuer, this audience), and short-lived ID tokens for whatever user name asks (<c>POST /dev/id-token</c>). So the
/// demo logs in through the verified login, as a SPA with a real provider does, and no setting has to let browsers
/// write the user id. It vouches for anyone, so it runs in the Development environment only
/// (<see cref="DevelopmentIssuerHosting"/>).
/// </summary>
internal sealed class DevelopmentIssuer(TimeProvider time) : IDisposable
{
    /// <summary>The setting that turns it on. Default: off.</summary>
    public const string Setting = SessionApiDefaults.ConfigurationSection + ":" + SessionLoginDefaults.Section + ":DevelopmentIssuer";

    /// <summary>The token endpoint, outside <c>/api</c>: it is no part of the session API or its OpenAPI document.</summary>
    public const string TokenPath = "/dev/id-token";

    /// <summary>The <c>iss</c> of its tokens, the one issuer <c>Session:Login:Issuers</c> then accepts.</summary>
    public const string Issuer = "urn:sessionfunctions:development-issuer";

    /// <summary>The <c>aud</c> of its tokens: the demo SPA, as a provider's client id would name it.</summary>
    public const string Audience = "urn:sessionfunctions:demo-spa";

    /// <summary>How long a token is valid: enough to send it at once, too short to keep (the session carries the login).</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(5);

    /// <summary>The longest user name it signs, as <c>Session-Client-Label</c> caps a label.</summary>
    public const int MaxUserLength = 100;

    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly JsonWebTokenHandler _handler = new();

    /// <summary>Whether <see cref="Setting"/> is on in <paramref name="configuration"/>.</summary>
    public static bool IsOn(IConfiguration configuration) => configuration.GetValue<bool>(Setting);

    /// <summary>
    /// Makes <paramref name="login"/> trust exactly this issuer: its public key, its <c>iss</c>, its <c>aud</c>. The
    /// claims map stays the configured one, by default the user id path ← <c>oid sub</c>, so <c>sub</c> is the user.
    /// </summary>
    public void Configure(SessionLoginOptions login)
    {
        login.SigningKeys = [_key.ExportSubjectPublicKeyInfoPem()];
        login.Issuers = [Issuer];
        login.Audiences = [Audience];
        login.Algorithms = [SecurityAlgorithms.EcdsaSha256];
    }

    /// <summary>A signed ID token for <paramref name="user"/> (its <c>sub</c> and <c>name</c>), valid for <see cref="Lifetime"/>.</summary>
    public string Issue(string user)
    {
        var now = time.GetUtcNow().UtcDateTime;
        return _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + Lifetime,
            Claims = new Dictionary<string, object> { ["sub"] = user, ["name"] = user },
            SigningCredentials = new SigningCredentials(new ECDsaSecurityKey(_key), SecurityAlgorithms.EcdsaSha256),
        });
    }

    public void Dispose() => _key.Dispose();
}
