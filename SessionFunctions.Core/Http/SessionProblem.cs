using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace SessionFunctions.Http;

/// <summary>
/// The API's errors as RFC 9457 problem types. Each has a stable <see cref="Type"/> URI, listed in docs/api.md,
/// that clients can switch on.
/// </summary>
internal sealed record SessionProblem(int Status, string Name, string Title)
{
    public const string TypePrefix = "urn:sessionfunctions:problem:";

    public static readonly SessionProblem InvalidJson = new(400, "invalid-json", "The request body is not valid JSON.");
    public static readonly SessionProblem BodyNotObject = new(400, "body-not-object", "The request body must be a JSON object.");
    public static readonly SessionProblem BodyRequired = new(400, "body-required", "This request needs a JSON object body.");
    public static readonly SessionProblem InvalidCookie = new(400, "invalid-cookie", "The cookie options in the body are invalid.");
    public static readonly SessionProblem ForbiddenKey = new(400, "forbidden-key", "The body holds a member name that reaches a JavaScript object's prototype (__proto__, or constructor.prototype); nothing was changed.");
    public static readonly SessionProblem BadRequest = new(400, "bad-request", "The request is malformed.");
    public static readonly SessionProblem InvalidToken = new(401, "invalid-token", "The bearer token is not a valid ID token for this API; nothing was changed.");
    public static readonly SessionProblem CrossSiteRequest = new(403, "cross-site-request", "A state-changing request from another site was refused (CSRF protection).");
    public static readonly SessionProblem ProtectedField = new(403, "protected-field", "The body would change a protected field (who the user is); nothing was changed.");
    public static readonly SessionProblem NotFound = new(404, "session-not-found", "There is no session.");
    public static readonly SessionProblem NoUser = new(404, "no-user", "The session has no signed-in user, or the user index is off.");
    public static readonly SessionProblem UserSessionNotFound = new(404, "user-session-not-found", "No session of this user has that handle.");
    public static readonly SessionProblem RouteNotFound = new(404, "not-found", "There is no such resource.");
    public static readonly SessionProblem MethodNotAllowed = new(405, "method-not-allowed", "The resource does not support this method; see Allow.");
    public static readonly SessionProblem RequestTimeout = new(408, "request-timeout", "The request body did not arrive in time.");
    public static readonly SessionProblem Conflict = new(409, "session-conflict", "The session was changed by a concurrent request.");
    public static readonly SessionProblem Unreadable = new(409, "session-unreadable", "The stored session is not a JSON object this API can read; it was left as it is, and so were the cookies.");
    public static readonly SessionProblem PreconditionFailed = new(412, "precondition-failed", "The session is not the one If-Match names; nothing was changed. ETag names the current one.");
    public static readonly SessionProblem BodyTooLarge = new(413, "body-too-large", "The request body is too large.");
    public static readonly SessionProblem UnsupportedMediaType = new(415, "unsupported-media-type", "The request body must be application/json (UTF-8).");
    public static readonly SessionProblem Internal = new(500, "internal-error", "An unexpected error occurred.");
    public static readonly SessionProblem StoreUnavailable = new(503, "store-unavailable", "The session store is unavailable. Retry later.");
    public static readonly SessionProblem StoreError = new(503, "store-error", "The session store refused the operation. Retry later.");
    public static readonly SessionProblem NotStored = new(503, "session-not-stored", "The session store failed; nothing was stored and the session is unchanged.");

    public string Type => TypePrefix + Name;

    public Task WriteAsync(HttpContext http, string? detail = null)
    {
        http.Response.StatusCode = Status;
        http.Response.ContentType = "application/problem+json";
        return JsonSerializer.SerializeAsync(http.Response.Body, new ProblemBody(Type, Title, Status, detail), ProblemJson.Default.ProblemBody, http.RequestAborted);
    }
}
