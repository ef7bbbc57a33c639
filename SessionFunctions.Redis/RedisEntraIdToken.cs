using System.Buffers.Text;
using System.Text.Json;
using Azure.Core;

namespace SessionFunctions.Redis;

/// <summary>
/// A Microsoft Entra ID access token for Redis, with the Redis user it authenticates (the token's <c>oid</c> claim:
/// Azure's Redis access policies are assigned to the identity's object id) and when to replace it.
/// <see cref="ToString"/> never shows the token: it is a bearer credential, and this object reaches log templates.
/// </summary>
internal sealed class RedisEntraIdToken
{
    /// <summary>The scope of a token that Azure Cache for Redis and Azure Managed Redis accept.</summary>
    public const string Scope = "https://redis.azure.com/.default";

    /// <summary>
    /// How long before expiry a token is replaced at the latest, unless a quarter of its lifetime is longer: a refresh
    /// that fails then has that long to succeed at a later check before Azure drops the connections that use it.
    /// </summary>
    public static readonly TimeSpan RefreshMargin = TimeSpan.FromMinutes(5);

    private RedisEntraIdToken(string user, string value, DateTimeOffset expiresOn, DateTimeOffset refreshAt)
    {
        User = user;
        Value = value;
        ExpiresOn = expiresOn;
        RefreshAt = refreshAt;
    }

    /// <summary>The Redis user name: the identity's object id.</summary>
    public string User { get; }

    /// <summary>The token itself, the Redis password.</summary>
    public string Value { get; }

    public DateTimeOffset ExpiresOn { get; }

    /// <summary>When to ask for the next token.</summary>
    public DateTimeOffset RefreshAt { get; }

    /// <summary>
    /// The token <paramref name="token"/>, got at <paramref name="now"/>. It is replaced at its <c>RefreshOn</c> if the
    /// credential sets one (MSAL does, for tokens it caches); otherwise once three quarters of its lifetime have passed,
    /// or <see cref="RefreshMargin"/> before expiry if that is earlier, but never before half its lifetime, so that a
    /// short-lived token is not asked for again at every check.
    /// </summary>
    /// <exception cref="InvalidOperationException">The token is not a JWT with an <c>oid</c> claim; the message does not contain it.</exception>
    public static RedisEntraIdToken From(AccessToken token, DateTimeOffset now)
    {
        var user = ObjectIdOf(token.Token);
        var lifetime = token.ExpiresOn - now;
        var lead = lifetime / 4 > RefreshMargin ? lifetime / 4 : RefreshMargin < lifetime / 2 ? RefreshMargin : lifetime / 2;
        var refreshAt = token.RefreshOn ?? token.ExpiresOn - lead;
        return new RedisEntraIdToken(user, token.Token, token.ExpiresOn, refreshAt);
    }

    /// <summary>The <c>oid</c> claim of a JWT (header.payload.signature, each base64url), read without validating it: Redis does that.</summary>
    /// <exception cref="InvalidOperationException">Not a JWT, or no <c>oid</c>; the message does not contain the token.</exception>
    public static string ObjectIdOf(string jwt)
    {
        var parts = jwt.Split('.');
        if (parts.Length != 3) throw NotUsable("it is not a JWT (header.payload.signature)");
        byte[] payload;
        try
        {
            payload = Base64Url.DecodeFromChars(parts[1]);
        }
        catch (FormatException)
        {
            throw NotUsable("its payload is not base64url");
        }
        try
        {
            using var claims = JsonDocument.Parse(payload);
            return claims.RootElement.ValueKind == JsonValueKind.Object
                   && claims.RootElement.TryGetProperty("oid", out var oid)
                   && oid.ValueKind == JsonValueKind.String
                   && oid.GetString() is { Length: > 0 } id
                ? id
                : throw NotUsable("it has no oid claim (the object id of the identity, which is the Redis user name)");
        }
        catch (JsonException)
        {
            throw NotUsable("its payload is not JSON");
        }
    }

    public override string ToString() => $"Entra ID token for Redis user {User}, expires {ExpiresOn:O}";

    // The message names the reason only: the token, or any part of it, would be a credential in a log.
    private static InvalidOperationException NotUsable(string reason) =>
        new($"The Microsoft Entra ID token for Redis (scope {Scope}) cannot be used: {reason}.");
}
