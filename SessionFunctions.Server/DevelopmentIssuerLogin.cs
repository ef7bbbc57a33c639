using Microsoft.Extensions.Options;
using SessionFunctions.Configuration;

namespace SessionFunctions.Server;

/// <summary>Sets <c>Session:Login</c> to trust the <see cref="DevelopmentIssuer"/>, when it is on in Development.</summary>
internal sealed class DevelopmentIssuerLogin(IConfiguration configuration, IHostEnvironment environment, IServiceProvider services)
    : IPostConfigureOptions<SessionApiOptions>
{
    public void PostConfigure(string? name, SessionApiOptions options)
    {
        // Outside Development the host refuses to start (DevelopmentIssuerHosting); this never trusts it there either.
        if (DevelopmentIssuer.IsOn(configuration) && environment.IsDevelopment())
            services.GetRequiredService<DevelopmentIssuer>().Configure(options.Login);
    }
}
