using Microsoft.Extensions.Options;

namespace SessionFunctions.Configuration;

/// <summary>Checks <c>Cors:AllowedOrigins</c> at startup, naming the entry that is wrong.</summary>
internal sealed class CrossOriginOptionsValidator : IValidateOptions<CrossOriginOptions>
{
    public ValidateOptionsResult Validate(string? name, CrossOriginOptions options)
    {
        var errors = new List<string>();
        for (var i = 0; i < options.AllowedOrigins.Count; i++)
        {
            foreach (var origin in options.AllowedOrigins[i].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                var setting = $"{CrossOriginOptions.ConfigurationSection}:AllowedOrigins:{i}";
                if (origin.Contains('*'))
                    errors.Add($"{setting}: '{origin}' is a wildcard; list each origin the SPA is served from (browsers refuse credentials with *).");
                else if (!IsOrigin(origin))
                    errors.Add($"{setting}: '{origin}' is not an origin; expected scheme://host[:port], e.g. https://app.example.com.");
            }
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static bool IsOrigin(string value) =>
        CrossOriginOptions.Normalize(value) is not null
        && Uri.TryCreate(value, UriKind.Absolute, out var uri)
        && uri.AbsolutePath == "/" && uri.Query.Length == 0 && uri.Fragment.Length == 0 && uri.UserInfo.Length == 0;
}
