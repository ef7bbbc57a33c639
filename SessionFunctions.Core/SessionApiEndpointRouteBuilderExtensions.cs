using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using SessionFunctions;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the session API on an ASP.NET Core host.</summary>
public static class SessionApiEndpointRouteBuilderExtensions
{
    /// <summary>Maps every <see cref="SessionEndpoints.Routes">route</see> under <c>/api</c> (<see cref="SessionDefaults.RoutePrefix"/>).</summary>
    public static RouteGroupBuilder MapSessionApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/" + SessionDefaults.RoutePrefix);
        foreach (var route in SessionEndpoints.Routes)
        {
            group.MapMethods(route.Pattern, [route.Method], (HttpContext http) => route.Invoke(http.RequestServices.GetRequiredService<SessionEndpoints>(), http))
                .WithName(route.Name);
        }
        return group;
    }
}
