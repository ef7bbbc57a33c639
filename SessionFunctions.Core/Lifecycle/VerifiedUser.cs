using System.Text.Json.Nodes;

namespace SessionFunctions.Lifecycle;

/// <summary>What a verified login writes into the new session: JSON pointer → the claim's value.</summary>
internal sealed record VerifiedUser(IReadOnlyList<KeyValuePair<string, JsonNode?>> Fields);
