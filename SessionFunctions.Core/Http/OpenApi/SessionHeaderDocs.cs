namespace SessionFunctions.Http;

/// <summary>
/// A header the contract documents, on a request (as a header parameter) or a response. Rendered once in the
/// document's components under <paramref name="Id"/>, and referenced wherever a row names it.
/// </summary>
/// <param name="Id">Its key in <c>components/headers</c> or <c>components/parameters</c>; one header name may have several (Set-Cookie does).</param>
/// <param name="Name">The header's name on the wire.</param>
/// <param name="Description">What it says, and when it is sent (CommonMark).</param>
/// <param name="Example">An example value.</param>
/// <param name="Type">Its JSON Schema type: <c>string</c> or <c>integer</c>.</param>
/// <param name="Required">Whether every response that lists it carries it.</param>
internal sealed record SessionHeaderDoc(string Id, string Name, string Description, string Example, string Type = "string", bool Required = false);

/// <summary>The headers of the contract. Rows name these; add one here for a new header.</summary>
internal static class SessionHeaderDocs
{
    private const string PairFormat =
        "Two `Set-Cookie` headers: the session id (`koa.sid`, or `Session:Key`) and its Keygrip signature (`koa.sid.sig`), written as " +
        "koa's cookies module writes them: `path`, `expires` (never `Max-Age`), then `domain`, `priority`, `samesite`, `secure`, `httponly`, " +
        "`partitioned` as the session's `cookie` object says.";

    public static readonly SessionHeaderDoc CacheControl = new("CacheControl", "Cache-Control",
        "Always `no-store`: a session response carries a credential and per-user data, which no cache may keep.", "no-store", Required: true);

    public static readonly SessionHeaderDoc SetCookiePair = new("SetCookiePair", "Set-Cookie",
        PairFormat + " A browser stores them; other clients send them back in `Cookie`.",
        "koa.sid=-WQiXl8Kv17CgQxeYch2hWrmTYNOY8Wo; path=/; expires=Mon, 23 Nov 2026 04:05:00 GMT; httponly", Required: true);

    public static readonly SessionHeaderDoc SetCookieRefresh = new("SetCookieRefresh", "Set-Cookie",
        PairFormat + " Sent when the session was written (its expiry moves on), with `Session:Rolling`, or to re-sign a `.sig` made with an " +
        "older key; absent when nothing changed.",
        "koa.sid=-WQiXl8Kv17CgQxeYch2hWrmTYNOY8Wo; path=/; expires=Mon, 23 Nov 2026 04:05:00 GMT; httponly");

    public static readonly SessionHeaderDoc SetCookieClearing = new("SetCookieClearing", "Set-Cookie",
        "The clearing pair: both cookies with an empty or meaningless value and `expires=Thu, 01 Jan 1970 00:00:00 GMT`, so the browser drops them.",
        "koa.sid=; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT; httponly");

    public static readonly SessionHeaderDoc ClearSiteData = new("ClearSiteData", "Clear-Site-Data",
        "`\"cookies\"`: the browser drops every cookie of the API's site (OWASP's advice at logout; secure contexts only). Not sent when " +
        "`Session:ClearSiteData` is off.",
        "\"cookies\"");

    public static readonly SessionHeaderDoc RetryAfter = new("RetryAfter", "Retry-After",
        "Seconds to wait before retrying: `Session:ReconnectTimeout`, rounded up.", "10", Type: "integer", Required: true);

    public static readonly SessionHeaderDoc Allow = new("Allow", "Allow",
        "The methods the path takes.", "POST, GET, PUT, DELETE", Required: true);

    /// <summary>The session's version, on every response that carries the session; <c>If-Match</c> and <c>If-None-Match</c> name it.</summary>
    public static readonly SessionHeaderDoc ETag = new("ETag", "ETag",
        "The stored session's version: `\"` + the hex SHA-1 of the exact text stored + `\"`, a strong validator. It changes whenever the " +
        "stored session changes, whoever wrote it (a Koa app sharing the store too). Send it back in `If-Match` or `If-None-Match`.",
        "\"7d1d0214943eeff3664f003f97a501d144ce7271\"", Required: true);

    public static readonly SessionHeaderDoc ETagCurrent = new("ETagCurrent", "ETag",
        "The current session's version, when there is a session: read it again (or apply the change to it), then retry with this tag.",
        "\"0c2f8e5a5b0d4a1f6e3c9b7a8d2e1f0a9b8c7d6e\"");

    public static readonly SessionHeaderDoc IdleExpires = new("SessionIdleExpires", "Session-Idle-Expires",
        "When the session's idle timeout (its store TTL) ends, ISO-8601 UTC: sent when this request set the TTL (a create, a save " +
        "that wrote, a regenerate, a rolling read). A plain read cannot know when the last write was, so it does not send it.",
        "2026-11-23T04:05:00.000Z");

    public static readonly SessionHeaderDoc AbsoluteExpires = new("SessionAbsoluteExpires", "Session-Absolute-Expires",
        "When the session ends however active it is (`Session:AbsoluteTimeout` after its creation), ISO-8601 UTC: sent on every response " +
        "carrying a session once an absolute timeout applies to it.",
        "2026-11-22T12:05:00.000Z");

    public static readonly SessionHeaderDoc WwwAuthenticate = new("WwwAuthenticate", "WWW-Authenticate",
        "The bearer token was refused (RFC 6750): get a new ID token from the provider.", "Bearer error=\"invalid_token\"", Required: true);

    public static readonly SessionHeaderDoc AcceptPatch = new("AcceptPatch", "Accept-Patch",
        "The media type a `PATCH` takes, sent when the body had another one.", "application/merge-patch+json");

    public static readonly SessionHeaderDoc IfMatch = new("IfMatch", "If-Match",
        "Change the session only if it is still the one this `ETag` names (compared strongly; a weak tag never matches), or, with `*`, only " +
        "if a session exists (a `PUT` then never creates one). Otherwise `412 precondition-failed` and nothing changes. The check and the " +
        "write are one atomic store step, so it holds across instances.",
        "\"7d1d0214943eeff3664f003f97a501d144ce7271\"");

    public static readonly SessionHeaderDoc IfNoneMatch = new("IfNoneMatch", "If-None-Match",
        "Answer `304 Not Modified`, without a body, while the session is still the one this `ETag` names (compared weakly): for SPAs that poll.",
        "\"7d1d0214943eeff3664f003f97a501d144ce7271\"");
}
