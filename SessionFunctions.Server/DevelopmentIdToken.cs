using System.Text.Json.Serialization;

namespace SessionFunctions.Server;

/// <summary>The development issuer's answer: an ID token, and the seconds it is valid for.</summary>
internal sealed record DevelopmentIdToken(string IdToken, int ExpiresIn);

/// <summary>Writes <see cref="DevelopmentIdToken"/> without reflection.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(DevelopmentIdToken))]
internal sealed partial class DevelopmentIdTokenJson : JsonSerializerContext;
