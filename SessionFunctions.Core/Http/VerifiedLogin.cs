using System.Buffers.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;
using SessionFunctions.Configuration;
using SessionFunctions.Diagnostics;
using SessionFunctions.Lifecycle;

namespace SessionFunctions.Http;

/// <summary>
/// The verified login of <c>POST /api/session/regenerate</c>: an OpenID Connect ID token in <c>Authorization: Bearer</c>,
/// validated by Microsoft.IdentityModel against <c>Session:Login</c> (signature with the configured or discovered keys,
/// issuer, audience, lifetime, algorithm). Only what it validated reaches the protected fields.
/// </summary>
internal sealed class VerifiedLogin
{
    private const string Scheme = "Bearer ";

    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };
    private readonly TokenValidationParameters? _parameters;
    private readonly (string Pointer, string[] Claims)[] _claims;
    private readonly string? _required;
    private readonly ILogger<VerifiedLogin> _logger;

    public VerifiedLogin(IOptions<SessionApiOptions> options, ILogger<VerifiedLogin> logger)
    {
        _logger = logger;
        var login = options.Value.Login;
        _claims = [.. SessionLoginValidator.ClaimsOf(options.Value).Select(c => (c.Key, SessionLoginValidator.Names(c.Value)))];
        _required = options.Value.UserIdPath ?? (_claims.Length == 1 ? _claims[0].Pointer : null);
        if (!login.IsConfigured) return;

        _parameters = new TokenValidationParameters
        {
            ValidIssuers = login.Issuers.Count > 0 ? login.Issuers : null,
            ValidAudiences = login.Audiences,
            ValidAlgorithms = login.Algorithms ?? SessionLoginDefaults.Algorithms,
            IssuerSigningKeys = [.. login.SigningKeys.Select(SessionLoginValidator.ReadKey)],
            ValidateIssuer = true,
            ValidateAudience = true,
            ValidateLifetime = true,
            ValidateIssuerSigningKey = true,
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            RequireAudience = true,
            ClockSkew = TimeSpan.FromSeconds(login.ClockSkewSeconds),
        };
        if (login.Authority is { Length: > 0 } authority)
        {
            var metadata = authority.TrimEnd('/') + "/.well-known/openid-configuration";
            // The handler takes the discovered issuer and keys, and refetches once when a token names an unknown key (rotation).
            _parameters.ConfigurationManager = new ConfigurationManager<OpenIdConnectConfiguration>(metadata, new OpenIdConnectConfigurationRetriever(),
                new HttpDocumentRetriever { RequireHttps = new Uri(metadata).Scheme == Uri.UriSchemeHttps });
        }
    }

    /// <summary>
    /// The user a request's bearer token proves, or null when it sends none. A token that does not validate is a
    /// <c>401 invalid-token</c> with <c>WWW-Authenticate</c>, thrown before anything is read or written.
    /// </summary>
    public async Task<VerifiedUser?> VerifyAsync(HttpContext http)
    {
        var header = http.Request.Headers.Authorization.ToString();
        if (!header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase)) return null;
        var token = header[Scheme.Length..].Trim();
        if (_parameters is null) throw Refused(http, "This API verifies no logins: Session:Login is not configured.");
        if (token.Length == 0) throw Refused(http, "The bearer token is empty.");

        var result = await _handler.ValidateTokenAsync(token, _parameters);
        if (!result.IsValid) throw Refused(http, Why(result.Exception));

        var payload = JsonNode.Parse(Base64Url.DecodeFromChars(((JsonWebToken)result.SecurityToken).EncodedPayload)) as JsonObject;
        var fields = new List<KeyValuePair<string, JsonNode?>>();
        foreach (var (pointer, names) in _claims)
        {
            var claim = names.FirstOrDefault(n => payload?[n] is not null);
            if (claim is not null) fields.Add(new(pointer, payload![claim]!.DeepClone()));
            else if (pointer == _required) throw Refused(http, $"The token has no {string.Join(" or ", names)} claim for {pointer}.");
        }
        return new VerifiedUser(fields);
    }

    private string Why(Exception? error)
    {
        // Generic details: IdentityModel's messages hide PII by default, but the client needs only what to fix.
        var detail = error switch
        {
            SecurityTokenExpiredException => "The token is expired.",
            SecurityTokenNotYetValidException => "The token is not valid yet.",
            SecurityTokenNoExpirationException => "The token has no expiry.",
            SecurityTokenInvalidAudienceException => "The token is for another audience (Session:Login:Audiences).",
            SecurityTokenInvalidIssuerException => "The token is from another issuer (Session:Login:Issuers).",
            SecurityTokenInvalidAlgorithmException => "The token's algorithm is not accepted (Session:Login:Algorithms).",
            SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => "The token's signature does not verify with the provider's keys.",
            SecurityTokenMalformedException or ArgumentException => "The bearer token is not a well-formed JWT.",
            SecurityTokenException => "The token is not valid.",
            _ => null,
        };
        if (detail is not null) return detail;
        // Not the token's fault (the provider's discovery document could not be fetched, say): the log has why.
        Log.LoginNotVerified(_logger, error);
        return "The token could not be verified: the provider's signing keys are not available.";
    }

    private static SessionProblemException Refused(HttpContext http, string detail)
    {
        http.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
        return new SessionProblemException(SessionProblem.InvalidToken, detail);
    }
}
