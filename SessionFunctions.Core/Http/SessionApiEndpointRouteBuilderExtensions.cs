using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using SessionFunctions;
using SessionFunctions.Http;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the session API on an ASP.NET Core host.</summary>
public static class SessionApiEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps every <see cref="SessionEndpoints.Routes">route</see> under <c>/api</c>, and a catch-all below it that answers
    /// 404 or 405 as problem+json, as the Functions app's catch-all function does.
    /// </summary>
    public static RouteGroupBuilder MapSessionApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/" + SessionApiRoutes.Prefix);
        foreach (var route in SessionEndpoints.Routes)
        {
            // A route handler rather than a RequestDelegate, so that ApiExplorer (and so the OpenAPI document) sees the endpoint
            // and its metadata; it takes only the HttpContext, so it runs as the RequestDelegate would.
            Delegate handler = (HttpContext http) => route.Invoke(http.RequestServices.GetRequiredService<SessionEndpoints>(), http);
            group.MapMethods(route.Pattern, SessionEndpoints.MethodsOf(route), handler).WithName(route.Name).Document(route.Name);
        }
        // Any method: routing prefers a route that takes the method, so this answers only what none takes.
        group.Map("{**path}", (HttpContext http) => http.RequestServices.GetRequiredService<SessionEndpoints>().FallbackAsync(http));
        return group;
    }

    /// <summary>
    /// Maps the probes at the root, where orchestrators and load balancers look: <c>/healthz</c> (live) and
    /// <c>/readyz</c> (the session store answers).
    /// </summary>
    public static IEndpointRouteBuilder MapSessionHealthChecks(this IEndpointRouteBuilder endpoints)
    {
        foreach (var probe in new[] { SessionApiRoutes.Live, SessionApiRoutes.Ready })
        {
            endpoints.MapMethods("/" + probe, [HttpMethods.Get, HttpMethods.Head], (HttpContext http) => http.RequestServices.GetRequiredService<SessionEndpoints>().HealthAsync(http, probe))
                .WithName(probe);
        }
        return endpoints;
    }
}
