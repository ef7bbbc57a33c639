using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.OpenApi;
using SessionFunctions.Http;

namespace SessionFunctions.Server;

/// <summary>
/// Renders a row of <see cref="SessionApiDocumentation"/> as an OpenAPI operation: its request body, one response per
/// status (a problem response lists every problem type of that status, narrows <c>type</c> to them and has an example
/// of each), the headers each response carries, and the cookie security requirement.
/// </summary>
internal static class SessionOpenApiOperations
{
    public const string Tag = "session";
    public const string SessionIdScheme = "sessionId";
    public const string SessionSignatureScheme = "sessionSignature";
    public const string IdTokenScheme = "idToken";
    private const string Json = "application/json";
    private const string ProblemJson = "application/problem+json";

    public const string Overview =
        "The resource is **the current session**: a JSON object holding the app's own fields and koa's `cookie` sub-object. It is identified " +
        "by the signed cookie pair (`koa.sid` + `koa.sid.sig`, see the security schemes); the session id never appears in a body. A browser " +
        "sends the cookies by itself (with `credentials: \"include\"` from another origin); other clients keep them from `Set-Cookie`.\n\n" +
        "- **Caching.** Every response carries `Cache-Control: no-store`.\n" +
        "- **Concurrency.** A response that carries the session carries its `ETag`. Send it back in `If-Match` to change the session " +
        "only if no one else did (else `412`), or in `If-None-Match` on a read to get `304` while it is unchanged.\n" +
        "- **CSRF.** A state-changing request from a browser page must come from the API's own origin or one in `Cors:AllowedOrigins`, " +
        "else it is refused with `403 cross-site-request`.\n" +
        "- **Errors** are RFC 9457 `application/problem+json` with a stable `type` (see `ProblemType`): branch on it. A failed request " +
        "(any 5xx, and every 409) sends no `Set-Cookie`: the client keeps the cookies it had, and the store keeps the sessions it had.\n" +
        "- **Unknown routes and methods.** Below `/api`, a path that does not exist answers `404` " +
        "(`urn:sessionfunctions:problem:not-found`), and a method that a path does not take answers `405` " +
        "(`urn:sessionfunctions:problem:method-not-allowed`) with `Allow`, both as problem+json.\n" +
        "- A few malformed requests are answered by Kestrel itself, before the app, with an empty body: a bad request line or `Host`, " +
        "headers over 32 KiB (431), a URL over 8 KiB (414).\n\n" +
        "The Azure Functions app serves the same API without this document; its clients use the copy committed as " +
        "`openapi/session-api.json`.";

    public static void Write(OpenApiOperation operation, SessionOperationDoc row, OpenApiDocument document)
    {
        operation.OperationId = row.RouteName;
        operation.Summary = row.Summary;
        operation.Description = row.Description;
        operation.Tags = new HashSet<OpenApiTagReference> { new(Tag, document) };
        // A route's {name} segments are path parameters (the handle of DELETE /api/session/all/{handle}).
        var pattern = SessionEndpoints.Routes.Single(r => r.Name == row.RouteName).Pattern;
        List<IOpenApiParameter> parameters =
        [
            .. pattern.Split('/').Where(s => s.StartsWith('{')).Select(s => (IOpenApiParameter)new OpenApiParameter
            {
                Name = s.Trim('{', '}'),
                In = ParameterLocation.Path,
                Required = true,
                Description = "A session's opaque handle, as `GET /api/session/all` lists it.",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String },
            }),
            .. (row.RequestHeaders ?? []).Select(h => (IOpenApiParameter)new OpenApiParameterReference(h.Id, document)),
        ];
        operation.Parameters = parameters.Count > 0 ? parameters : null;
        operation.RequestBody = row.RequestBody is { } body ? RequestBody(body, document) : null;

        var responses = new SortedDictionary<int, IOpenApiResponse>();
        foreach (var success in row.Successes) responses.Add(success.Status, Success(success, document));
        foreach (var status in row.Problems.GroupBy(p => p.Problem.Status)) responses.Add(status.Key, Problems([.. status], document));
        operation.Responses = [];
        foreach (var (status, response) in responses) operation.Responses.Add(status.ToString(CultureInfo.InvariantCulture), response);

        // The pair is optional on every operation: without it GET answers 404, and POST or PUT start a session.
        operation.Security =
        [
            new OpenApiSecurityRequirement
            {
                [new OpenApiSecuritySchemeReference(SessionIdScheme, document)] = [],
                [new OpenApiSecuritySchemeReference(SessionSignatureScheme, document)] = [],
            },
            new OpenApiSecurityRequirement(),
        ];
        if (row.BearerLogin)
        {
            // A verified login: the ID token with the pair (a session to regenerate), or alone (a new session).
            operation.Security.Insert(1, new OpenApiSecurityRequirement
            {
                [new OpenApiSecuritySchemeReference(SessionIdScheme, document)] = [],
                [new OpenApiSecuritySchemeReference(SessionSignatureScheme, document)] = [],
                [new OpenApiSecuritySchemeReference(IdTokenScheme, document)] = [],
            });
            operation.Security.Insert(2, new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(IdTokenScheme, document)] = [] });
        }
    }

    /// <summary>Every header a response of <paramref name="row"/> names, whether a success or a problem.</summary>
    public static IEnumerable<SessionHeaderDoc> ResponseHeaders(SessionOperationDoc row) =>
        row.Successes.SelectMany(s => s.Headers)
            .Concat(row.Problems.SelectMany(p => p.Headers ?? []))
            .Concat(row.Problems.SelectMany(p => SessionProblemDocs.For(p.Problem)?.Headers ?? []))
            .Append(SessionHeaderDocs.CacheControl);

    private static OpenApiRequestBody RequestBody(SessionBodyDoc body, OpenApiDocument document) => new()
    {
        Required = body.Required,
        Description = body.Description,
        Content = new Dictionary<string, OpenApiMediaType>
        {
            [body.MediaType] = new()
            {
                Schema = new OpenApiSchemaReference(body.Schema, document),
                Examples = Examples(body.Examples),
            },
        },
    };

    private static OpenApiResponse Success(SessionSuccessDoc success, OpenApiDocument document) => new()
    {
        Description = success.Description,
        Headers = Headers(success.Headers, document),
        Content = success.Body == SessionResponseBody.None
            ? null
            : new Dictionary<string, OpenApiMediaType>
            {
                [Json] = new()
                {
                    Schema = new OpenApiSchemaReference(success.Body == SessionResponseBody.Session ? "Session" : "UserSessions", document),
                    Examples = Examples(success.Examples),
                },
            },
    };

    private static OpenApiResponse Problems(List<SessionProblemUse> uses, OpenApiDocument document)
    {
        string When(SessionProblemUse use) => use.When ?? SessionProblemDocs.For(use.Problem)?.When ?? use.Problem.Title;
        var description = uses.Count == 1
            ? $"`{uses[0].Problem.Type}`: {When(uses[0])}"
            : "One of these problem types:\n\n" + string.Join("\n", uses.Select(u => $"- `{u.Problem.Type}`: {When(u)}"));
        var headers = uses.SelectMany(u => (u.Headers ?? []).Concat(SessionProblemDocs.For(u.Problem)?.Headers ?? []));
        var examples = uses.ToDictionary(u => u.Problem.Name, u =>
        {
            var value = new JsonObject { ["type"] = u.Problem.Type, ["title"] = u.Problem.Title, ["status"] = u.Problem.Status };
            if ((u.ExampleDetail ?? SessionProblemDocs.For(u.Problem)?.ExampleDetail) is { } detail) value["detail"] = detail;
            return (IOpenApiExample)new OpenApiExample { Summary = u.Problem.Title, Value = value };
        });
        return new OpenApiResponse
        {
            Description = description,
            Headers = Headers(headers, document),
            Content = new Dictionary<string, OpenApiMediaType>
            {
                [ProblemJson] = new()
                {
                    // The Problem schema, with `type` narrowed to what this status of this operation can carry.
                    Schema = new OpenApiSchema
                    {
                        AllOf =
                        [
                            new OpenApiSchemaReference("Problem", document),
                            new OpenApiSchema
                            {
                                Properties = new Dictionary<string, IOpenApiSchema>
                                {
                                    ["type"] = new OpenApiSchema { Type = JsonSchemaType.String, Enum = [.. uses.Select(u => (JsonNode)u.Problem.Type)] },
                                },
                            },
                        ],
                    },
                    Examples = examples,
                },
            },
        };
    }

    /// <summary>The response's headers, by reference, in a fixed order: <c>Cache-Control</c> first, then as the row lists them.</summary>
    private static Dictionary<string, IOpenApiHeader> Headers(IEnumerable<SessionHeaderDoc> headers, OpenApiDocument document)
    {
        var all = new Dictionary<string, IOpenApiHeader>
        {
            [SessionHeaderDocs.CacheControl.Name] = new OpenApiHeaderReference(SessionHeaderDocs.CacheControl.Id, document),
        };
        foreach (var header in headers) all.TryAdd(header.Name, new OpenApiHeaderReference(header.Id, document));
        return all;
    }

    private static Dictionary<string, IOpenApiExample>? Examples(IReadOnlyList<SessionExampleDoc> examples) => examples.Count == 0
        ? null
        : examples.ToDictionary(e => e.Name, e => (IOpenApiExample)new OpenApiExample { Summary = e.Summary, Value = JsonNode.Parse(e.Json) });
}

/// <summary>
/// The components the operations refer to, and only those (an unused component is a lint warning): the session and
/// problem schemas, the headers and header parameters, and the cookie security schemes.
/// </summary>
internal static class SessionOpenApiComponents
{
    private static readonly Dictionary<string, (Func<OpenApiDocument, IOpenApiSchema> Create, string[] Refers)> Schemas = new()
    {
        ["Session"] = (Session, ["SessionCookie"]),
        ["SessionCookie"] = (_ => SessionCookie(), []),
        ["SessionInput"] = (SessionInput, ["CookieOverrides"]),
        ["SessionPatch"] = (SessionPatch, ["CookieOverrides"]),
        ["CookieOverrides"] = (_ => CookieOverrides(), []),
        ["UserSessions"] = (_ => UserSessions(), []),
        ["Problem"] = (Problem, ["ProblemType"]),
        ["ProblemType"] = (_ => ProblemType(), []),
    };

    /// <param name="rows">The documented operations in the document.</param>
    /// <param name="cookieName">The session id cookie's name (<c>Session:Key</c>): clients send it, so it is no secret.</param>
    /// <param name="document">The document, for references between components.</param>
    public static OpenApiComponents For(IReadOnlyList<SessionOperationDoc> rows, string cookieName, OpenApiDocument document)
    {
        var schemas = new SortedSet<string>(StringComparer.Ordinal);
        void Use(string name)
        {
            if (!Schemas.TryGetValue(name, out var schema)) throw new InvalidOperationException($"No schema is named '{name}': add it to {nameof(SessionOpenApiComponents)}.");
            if (schemas.Add(name)) foreach (var referred in schema.Refers) Use(referred);
        }
        foreach (var row in rows)
        {
            if (row.RequestBody is { } body) Use(body.Schema);
            if (row.Successes.Any(s => s.Body == SessionResponseBody.Session)) Use("Session");
            if (row.Successes.Any(s => s.Body == SessionResponseBody.SessionList)) Use("UserSessions");
            if (row.Problems.Count > 0) Use("Problem");
        }

        return new OpenApiComponents
        {
            Schemas = schemas.ToDictionary(name => name, name => Schemas[name].Create(document)),
            Headers = rows.SelectMany(SessionOpenApiOperations.ResponseHeaders).DistinctBy(h => h.Id).OrderBy(h => h.Id, StringComparer.Ordinal)
                .ToDictionary(h => h.Id, h => (IOpenApiHeader)new OpenApiHeader
                {
                    Description = h.Description,
                    Required = h.Required,
                    Schema = Scalar(h),
                    Example = Example(h),
                }),
            Parameters = rows.SelectMany(r => r.RequestHeaders ?? []).DistinctBy(h => h.Id).OrderBy(h => h.Id, StringComparer.Ordinal)
                .ToDictionary(h => h.Id, h => (IOpenApiParameter)new OpenApiParameter
                {
                    Name = h.Name,
                    In = ParameterLocation.Header,
                    Description = h.Description,
                    Required = h.Required,
                    Schema = Scalar(h),
                    Example = Example(h),
                }),
            SecuritySchemes = new Dictionary<string, IOpenApiSecurityScheme>
            {
                [SessionOpenApiOperations.SessionIdScheme] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.ApiKey,
                    In = ParameterLocation.Cookie,
                    Name = cookieName,
                    Description = "The session id, as the last `Set-Cookie` sent it. Never read it in a script: the cookie is `HttpOnly` by default.",
                },
                [SessionOpenApiOperations.IdTokenScheme] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "bearer",
                    BearerFormat = "JWT",
                    Description = "An OpenID Connect ID token from the provider `Session:Login` names (Entra ID, say), sent to " +
                        "`POST /api/session/regenerate` only: a verified login. Validated with Microsoft.IdentityModel (signature, issuer, " +
                        "audience, lifetime, algorithm); its claims are written into the session's protected fields. See docs/security.md.",
                },
                [SessionOpenApiOperations.SessionSignatureScheme] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.ApiKey,
                    In = ParameterLocation.Cookie,
                    Name = cookieName + ".sig",
                    Description = "The id's Keygrip signature (HMAC-SHA1 with the server's signing keys), sent with it; required unless " +
                        "`Session:Cookie:Signed` is off.",
                },
            },
        };
    }

    private static OpenApiSchema Scalar(SessionHeaderDoc header) =>
        new() { Type = header.Type == "integer" ? JsonSchemaType.Integer : JsonSchemaType.String };

    private static JsonValue Example(SessionHeaderDoc header) =>
        header.Type == "integer" ? JsonValue.Create(long.Parse(header.Example, CultureInfo.InvariantCulture)) : JsonValue.Create(header.Example);

    private static OpenApiSchema UserSessions() => new()
    {
        Type = JsonSchemaType.Object,
        Description = "The sessions of the current session's user (`Session:UserIdPath`).",
        Required = new HashSet<string> { "sessions" },
        Properties = new Dictionary<string, IOpenApiSchema>
        {
            ["sessions"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Array,
                Items = new OpenApiSchema
                {
                    Type = JsonSchemaType.Object,
                    Required = new HashSet<string> { "handle", "current", "created", "lastSeen", "label" },
                    Properties = new Dictionary<string, IOpenApiSchema>
                    {
                        ["handle"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "Opaque: base64url of an HMAC of the session id. Never the id." },
                        ["current"] = new OpenApiSchema { Type = JsonSchemaType.Boolean, Description = "Whether it is the request's own session." },
                        ["created"] = new OpenApiSchema { Type = JsonSchemaType.String, Format = "date-time" },
                        ["lastSeen"] = new OpenApiSchema { Type = JsonSchemaType.String, Format = "date-time", Description = "Its last save or rolling read through this API." },
                        ["label"] = new OpenApiSchema { Type = JsonSchemaType.String | JsonSchemaType.Null, MaxLength = 100, Description = "The client, as named at login." },
                    },
                },
            },
        },
    };

    private static OpenApiSchema Session(OpenApiDocument document) => new()
    {
        Type = JsonSchemaType.Object,
        Description = "A session as stored: the app's own fields (any JSON) beside koa's `cookie` object. Its id is never in a body, only in the cookie.",
        Required = new HashSet<string> { "cookie" },
        Properties = new Dictionary<string, IOpenApiSchema> { ["cookie"] = new OpenApiSchemaReference("SessionCookie", document) },
        AdditionalProperties = new OpenApiSchema(),
        Examples = [JsonNode.Parse("""{"cookie":{"httpOnly":true,"path":"/","overwrite":true,"signed":true,"maxAge":86400000},"count":1,"user":"ada"}""")!],
    };

    private static OpenApiSchema SessionCookie() => new()
    {
        Type = JsonSchemaType.Object,
        Description =
            "koa's `cookie` object: the options this session's cookie pair is sent with. Each session keeps its own (a new one starts from " +
            "`Session:Cookie`), and a session written by Koa may hold other values, so read it leniently.",
        Properties = new Dictionary<string, IOpenApiSchema>
        {
            ["httpOnly"] = Property(JsonSchemaType.Boolean, "Whether the cookies are `HttpOnly`, hidden from scripts. Set by the server (default `true`)."),
            ["path"] = Property(JsonSchemaType.String, "The cookies' `path`. Set by the server (default `/`)."),
            ["overwrite"] = Property(JsonSchemaType.Boolean, "koa's `overwrite`, kept for Koa. Set by the server (default `true`)."),
            ["signed"] = Property(JsonSchemaType.Boolean, "Whether the `.sig` cookie signs the id. Set by the server (default `true`)."),
            ["maxAge"] = Property(JsonSchemaType.Integer | JsonSchemaType.Null,
                "The cookie's lifetime in milliseconds from each write; absent or `null` for a browser-session cookie (default 86400000, one day)."),
            ["expires"] = Property(JsonSchemaType.String | JsonSchemaType.Null,
                "An absolute expiry (ISO 8601), which sets the store's TTL when `maxAge` is not set.", "date-time"),
            ["domain"] = Property(JsonSchemaType.String, "The cookies' `domain`, when configured. Set by the server."),
            ["sameSite"] = Property(JsonSchemaType.String | JsonSchemaType.Boolean,
                "`lax`, `strict` or `none`; koa also stores `true` (strict). Absent: no attribute, the browser's default."),
            ["secure"] = Property(JsonSchemaType.Boolean, "`true`: only over HTTPS; `false`: never. Absent: automatic, secure on HTTPS requests."),
            ["priority"] = Property(JsonSchemaType.String, "`low`, `medium` or `high`; absent: no attribute."),
            ["partitioned"] = Property(JsonSchemaType.Boolean, "Whether the cookies are partitioned (CHIPS), for a SPA embedded on another site."),
        },
        Examples = [JsonNode.Parse("""{"httpOnly":true,"path":"/","overwrite":true,"signed":true,"maxAge":86400000}""")!],
    };

    private static OpenApiSchema SessionInput(OpenApiDocument document) => new()
    {
        Type = JsonSchemaType.Object,
        Description =
            "The session's fields: any JSON properties except `cookie`; they replace the current fields (fields left out are removed). " +
            "`cookie` holds overrides of the cookie options, merged into the current ones; leave it out to keep them. At most " +
            "`Session:MaxBodyBytes` (64 KiB) of UTF-8 JSON, nested at most 64 levels, with no property repeated.",
        Properties = new Dictionary<string, IOpenApiSchema> { ["cookie"] = new OpenApiSchemaReference("CookieOverrides", document) },
        AdditionalProperties = new OpenApiSchema(),
    };

    private static OpenApiSchema SessionPatch(OpenApiDocument document) => new()
    {
        Type = JsonSchemaType.Object,
        Description =
            "A JSON merge patch (RFC 7396) of the session's fields: a property set to `null` is removed, an object is merged into the " +
            "current one recursively, anything else replaces; fields it does not name are kept. `cookie`, if present, is an object of " +
            "overrides of the cookie options, merged as in a save (the `cookie` object itself cannot be removed).",
        Properties = new Dictionary<string, IOpenApiSchema> { ["cookie"] = new OpenApiSchemaReference("CookieOverrides", document) },
        AdditionalProperties = new OpenApiSchema(),
    };

    private static OpenApiSchema CookieOverrides() => new()
    {
        Type = JsonSchemaType.Object,
        Description =
            "Changes to this session's cookie options, merged into its current ones; `null` resets an option. A client may change the " +
            "cookie's lifetime and cross-site behaviour. It may send `httpOnly`, `path`, `domain`, `signed` and `overwrite` back unchanged " +
            "(as read from GET) but never change them: a script that could turn off `HttpOnly` or move the cookie to another domain would " +
            "defeat the cookie's protections. Anything else is refused with `invalid-cookie`.",
        AdditionalPropertiesAllowed = false,
        Properties = new Dictionary<string, IOpenApiSchema>
        {
            ["maxAge"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Integer | JsonSchemaType.Null,
                Minimum = "0",
                Maximum = "34560000000",
                Description = "The cookie's lifetime in whole milliseconds, at most 400 days (34560000000); `null` for a browser-session cookie.",
            },
            ["expires"] = Property(JsonSchemaType.String | JsonSchemaType.Null,
                "An ISO-8601 date in the future, at most 400 days ahead, or `null`. It sets the store's TTL, while `maxAge` (if set) still sets " +
                "the cookie's expiry, as in koa.", "date-time"),
            ["sameSite"] = new OpenApiSchema
            {
                Type = JsonSchemaType.String | JsonSchemaType.Boolean | JsonSchemaType.Null,
                Enum = ["lax", "strict", "none", true, false, JsonNullSentinel.JsonNull],
                Description = "`lax`, `strict` or `none` (in any case); `none` needs a secure cookie. `true` means `strict`; `false` or `null`: no attribute.",
            },
            ["secure"] = Property(JsonSchemaType.Boolean | JsonSchemaType.Null,
                "`true`: only over HTTPS (refused on a plain HTTP request, where the browser would drop the cookie); `false`: never; `null`: automatic."),
            ["priority"] = new OpenApiSchema
            {
                Type = JsonSchemaType.String | JsonSchemaType.Null,
                Enum = ["low", "medium", "high", JsonNullSentinel.JsonNull],
                Description = "The `Priority` attribute (in any case), or `null` for none.",
            },
            ["partitioned"] = Property(JsonSchemaType.Boolean | JsonSchemaType.Null,
                "Partition the cookies (CHIPS), for a SPA embedded on another site; `null`: no attribute."),
            ["httpOnly"] = Property(JsonSchemaType.Boolean, "Only as the session has it."),
            ["path"] = Property(JsonSchemaType.String, "Only as the session has it."),
            ["domain"] = Property(JsonSchemaType.String, "Only as the session has it."),
            ["signed"] = Property(JsonSchemaType.Boolean, "Only as the session has it."),
            ["overwrite"] = Property(JsonSchemaType.Boolean, "Only as the session has it."),
        },
        Examples = [JsonNode.Parse("""{"maxAge":2592000000,"sameSite":"lax"}""")!],
    };

    private static OpenApiSchema Problem(OpenApiDocument document) => new()
    {
        Type = JsonSchemaType.Object,
        Description = "An RFC 9457 problem. Branch on `type`, which is stable; `title` is the type's fixed text and `detail` explains this occurrence.",
        Required = new HashSet<string> { "type", "title", "status" },
        Properties = new Dictionary<string, IOpenApiSchema>
        {
            ["type"] = new OpenApiSchemaReference("ProblemType", document),
            ["title"] = Property(JsonSchemaType.String, "A short, fixed summary of the type."),
            ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Minimum = "400", Maximum = "599", Description = "The HTTP status code." },
            ["detail"] = Property(JsonSchemaType.String, "What happened this time; absent when the title says it all."),
        },
    };

    private static OpenApiSchema ProblemType() => new()
    {
        Type = JsonSchemaType.String,
        Description = "The problem types of the API (URNs, stable):\n\n" +
            string.Join("\n", SessionProblemDocs.All.Select(p => $"- `{p.Type}` ({p.Status}): {SessionProblemDocs.For(p)?.When ?? p.Title}")),
        Enum = [.. SessionProblemDocs.All.Select(p => (JsonNode)p.Type)],
    };

    private static OpenApiSchema Property(JsonSchemaType type, string description, string? format = null) =>
        new() { Type = type, Description = description, Format = format };
}
