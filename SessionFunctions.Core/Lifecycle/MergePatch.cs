using System.Text.Json.Nodes;

namespace SessionFunctions.Lifecycle;

/// <summary>RFC 7396 JSON Merge Patch: <c>null</c> removes a member, an object merges recursively, anything else replaces.</summary>
internal static class MergePatch
{
    public static void Apply(JsonObject target, JsonObject patch)
    {
        foreach (var (name, value) in patch)
        {
            if (value is null) target.Remove(name);
            else if (value is JsonObject members)
            {
                if (target[name] is not JsonObject existing)
                {
                    existing = [];
                    target[name] = existing;
                }
                Apply(existing, members);
            }
            else target[name] = value.DeepClone();
        }
    }
}
