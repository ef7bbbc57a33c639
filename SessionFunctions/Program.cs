using Microsoft.Extensions.Hosting;
using Microsoft.Azure.Functions.Worker.Builder;
using SessionFunctions.Functions;

var builder = FunctionsApplication.CreateBuilder(args);
builder.AddSessionFunctions();
builder.Build().Run();
