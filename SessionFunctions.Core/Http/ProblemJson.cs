using System.Text.Json.Serialization;

namespace SessionFunctions.Http;

/// <summary>An RFC 9457 problem body.</summary>
internal sealed record ProblemBody(string Type, string Title, int Status, string? Detail);

/// <summary>Writes <see cref="ProblemBody"/> without reflection.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ProblemBody))]
internal sealed partial class ProblemJson : JsonSerializerContext;
