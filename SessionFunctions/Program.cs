using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SessionFunctions.Functions;

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();

builder.Services
    .AddApplicationInsightsTelemetryWorkerService()
    .ConfigureFunctionsApplicationInsights();

// The same services as the standalone server, and Redis through Entra ID in Azure or a connection string locally.
builder.Services.AddSessionApi(builder.Configuration);
builder.Services.AddSessionRedis(builder.Configuration);

builder.Build().Run();
