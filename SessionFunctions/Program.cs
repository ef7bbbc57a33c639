using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;
using SessionFunctions.Functions;

var builder = FunctionsApplication.CreateBuilder(args);
builder.AddSessionFunctions();
builder.Build().Run();
