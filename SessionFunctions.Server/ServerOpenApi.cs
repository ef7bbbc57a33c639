using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;
using SessionFunctions.Configuration;
using SessionFunctions.Http;

namespace SessionFunctions.Server;

/// <summary>
/// The OpenAPI 3.1 document, at <c>/openapi/v1.json</c>: Microsoft.AspNetCore.OpenApi generates it from the endpoints <c>MapSessionApi</c>
/// maps and their metadata (<c>SessionApiDocumentation</c>), and two transformers add what metadata cannot say. The committed copy
/// <c>openapi/session-api.json</c>, which the Functions app serves, must equal it (<c>OpenApiTests</c>).
/// </summary>
public static class ServerOpenApi
{
    /// <summary>The document's name, and so its path: <c>/openapi/v1.json</c>.</summary>
    public const string DocumentName = "v1";

    public static IServiceCollection AddSessionOpenApi(this IServiceCollection services) => services.AddOpenApi(DocumentName, options =>
    {
        options.OpenApiVersion = OpenApiSpecVersion.OpenApi3_1;
        // The session API's operations only, and GET without the HEAD it implies.
        options.ShouldInclude = description => description.HttpMethod != HttpMethods.Head
            && description.ActionDescriptor.EndpointMetadata.OfType<ITagsMetadata>().Any(t => t.Tags.Contains(SessionApiDocumentation.Tag));
        options.AddOperationTransformer(DescribeOperation);
        options.AddDocumentTransformer(DescribeDocument);
    });

    public static WebApplication MapSessionOpenApi(this WebApplication app)
    {
        app.MapOpenApi("/openapi/{documentName}.json").AddEndpointFilter(async (context, next) =>
        {
            // The same for every caller, but it changes with each deployment: a cache may keep it only if it asks again.
            context.HttpContext.Response.Headers.CacheControl = "no-cache";
            context.HttpContext.Response.Headers.XContentTypeOptions = "nosniff";
            return await next(context);
        });
        return app;
    }

    /// <summary>From the endpoint's own metadata: the request body, each response's headers and problem types, the parameters, the security.</summary>
    private static Task DescribeOperation(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        var document = context.Document!;
        var problems = metadata.OfType<SessionProblem>().ToList();
        if (metadata.OfType<SessionRequestBodyDoc>().SingleOrDefault() is { } body)
        {
            var content = new Dictionary<string, OpenApiMediaType> { [body.MediaType] = new() { Schema = new OpenApiSchemaReference(body.Schema, document) } };
            operation.RequestBody = new OpenApiRequestBody { Required = body.Required, Content = content };
        }
        foreach (var (status, response) in operation.Responses!.Select(r => (int.Parse(r.Key, CultureInfo.InvariantCulture), (OpenApiResponse)r.Value)))
        {
            var types = problems.Where(p => p.Status == status).ToList();
            var headers = metadata.OfType<SessionResponseHeaders>().Where(h => h.Status == status).SelectMany(h => h.Ids)
                .Concat(types.SelectMany(p => SessionProblemDocs.All[p].Headers)).Prepend("Cache-Control").Distinct();
            // A header's id is its name, with a suffix after a dot when it has several meanings (Set-Cookie.clearing).
            response.Headers = headers.ToDictionary(id => id.Split('.')[0], id => (IOpenApiHeader)new OpenApiHeaderReference(id, document));
            if (types.Count == 0) continue;
            response.Description = types.Count == 1
                ? Describe(types[0])
                : "One of these problem types:\n\n" + string.Join("\n", types.Select(p => "- " + Describe(p)));
            // The Problem schema, with `type` narrowed to the problem types of this status.
            var type = new OpenApiSchema { Type = JsonSchemaType.String, Enum = [.. types.Select(p => (JsonNode)p.Type)] };
            var narrowed = new OpenApiSchema { Properties = new Dictionary<string, IOpenApiSchema> { ["type"] = type } };
            response.Content!["application/problem+json"].Schema = new OpenApiSchema { AllOf = [new OpenApiSchemaReference("Problem", document), narrowed] };
        }

        // The path's parameters ({handle}) are components named as they are; a 412 answers If-Match, a 304 If-None-Match.
        var path = context.Description.RelativePath!.Split('/').Where(s => s.StartsWith('{')).Select(s => s.Trim('{', '}'));
        var conditional = new[] { ("412", "IfMatch"), ("304", "IfNoneMatch") }.Where(p => operation.Responses!.ContainsKey(p.Item1)).Select(p => p.Item2);
        List<IOpenApiParameter> parameters = [.. path.Concat(conditional).Select(id => new OpenApiParameterReference(id, document))];
        operation.Parameters = parameters.Count > 0 ? parameters : null;

        // The cookie pair is optional everywhere: without it GET answers 404, and POST or PUT start a session. An operation that
        // can refuse a bearer token (401 invalid-token) takes one: the ID token of a verified login, with the pair or alone.
        OpenApiSecurityRequirement Requires(params string[] schemes)
        {
            var requirement = new OpenApiSecurityRequirement();
            foreach (var scheme in schemes) requirement[new OpenApiSecuritySchemeReference(scheme, document)] = [];
            return requirement;
        }
        operation.Security = problems.Contains(SessionProblem.InvalidToken)
            ? [Requires("sessionId", "sessionSignature"), Requires("sessionId", "sessionSignature", "idToken"), Requires("idToken"), Requires()]
            : [Requires("sessionId", "sessionSignature"), Requires()];
        return Task.CompletedTask;
    }

    private static string Describe(SessionProblem problem) => $"`{problem.Type}`: {SessionProblemDocs.All[problem].When}";

    /// <summary>The info, the server, the tag's description, and the components, which replace the generator's placeholders.</summary>
    private static Task DescribeDocument(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info = new OpenApiInfo { Title = "SessionFunctions session API", Version = "1", Description = ServerOpenApiComponents.Overview };
        document.Info.Summary = "Server-side sessions for single-page apps, compatible with koa-generic-session + koa-redis.";
        // Relative: the document names no host, so it leaks no deployment's address and works behind any proxy.
        document.Servers = [new OpenApiServer { Url = "/", Description = "The host that serves this document; the API is below /api." }];
        document.Tags!.Single().Description = "The current session, identified by its signed cookie pair.";

        var json = JsonNode.Parse(string.Join(' ', ServerOpenApiComponents.Json.Split('\n').Select(line => line.Trim())))!;
        // Not validated: a component alone breaks rules that the whole document keeps (Redocly lints that).
        var settings = new OpenApiReaderSettings { RuleSet = ValidationRuleSet.GetEmptyRuleSet() };
        var components = new OpenApiJsonReader().ReadFragment<OpenApiComponents>(json, OpenApiSpecVersion.OpenApi3_1, document, out var errors,
            settings);
        if (components is null || errors.Errors.Count > 0)
            throw new InvalidOperationException("ServerOpenApiComponents.Json: " + string.Join("; ", errors.Errors));

        var cookie = context.ApplicationServices.GetRequiredService<IOptions<SessionApiOptions>>().Value.Key;
        ((OpenApiSecurityScheme)components.SecuritySchemes!["sessionId"]).Name = cookie;
        ((OpenApiSecurityScheme)components.SecuritySchemes["sessionSignature"]).Name = cookie + ".sig";
        var types = SessionProblemDocs.All.Select(p => $"- `{p.Key.Type}` ({p.Key.Status}): {p.Value.When}");
        components.Schemas!["ProblemType"] = new OpenApiSchema
        {
            Type = JsonSchemaType.String,
            Description = "The problem types of the API (URNs, stable):\n\n" + string.Join("\n", types),
            Enum = [.. SessionProblemDocs.All.Keys.Select(p => (JsonNode)p.Type)],
        };
        document.Components = components;
        return Task.CompletedTask;
    }
}
