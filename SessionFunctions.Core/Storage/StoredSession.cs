using System.Text.Json.Nodes;

namespace SessionFunctions;

/// <summary>A usable session as the store holds it: parsed, and the exact text it was parsed from.</summary>
internal sealed record StoredSession(JsonObject Data, string Json);
