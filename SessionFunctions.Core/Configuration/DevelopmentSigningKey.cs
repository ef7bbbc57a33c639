using System.Buffers.Text;
using System.Security.Cryptography;
using Microsoft.Extensions.Configuration;
using SessionFunctions.Diagnostics;

namespace SessionFunctions.Configuration;

/// <summary>Lets a developer run the API without configuring keys: a random key for this process only.</summary>
public static class DevelopmentSigningKey
{
    /// <summary>Adds a random <c>Session:Keys:0</c> when no key is configured.</summary>
    /// <returns>Whether a key was generated; the host must then log <c>Log.DevelopmentKeyGenerated</c>'s warning.</returns>
    public static bool AddIfMissing(IConfigurationManager configuration)
    {
        var keys = configuration.GetSection($"{SessionApiDefaults.ConfigurationSection}:Keys");
        if (keys.GetChildren().Any(k => !string.IsNullOrEmpty(k.Value))) return false;
        configuration[$"{SessionApiDefaults.ConfigurationSection}:Keys:0"] = "development-" + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        return true;
    }

    /// <summary>Logs the loud warning that a generated key is in use.</summary>
    public static void Warn(Microsoft.Extensions.Logging.ILogger logger) => Log.DevelopmentKeyGenerated(logger);
}
