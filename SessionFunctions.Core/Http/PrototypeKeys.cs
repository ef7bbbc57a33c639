using System.Text.Json.Nodes;

namespace SessionFunctions.Http;

/// <summary>
/// Finds the member names of a request body that reach an object's prototype once JavaScript code handles the session:
/// <c>__proto__</c> at any depth, and <c>prototype</c> inside a <c>constructor</c> member. <c>JSON.parse</c> makes them
/// plain own properties, but a Koa app sharing the store that copies a session object with <c>Object.assign</c>, a spread
/// into an existing object, or a deep merge (lodash's <c>merge</c> before 4.17.12, <c>deep-extend</c>, …) follows them
/// into <c>Object.prototype</c>: prototype pollution, from one request, for every object of that process.
/// </summary>
/// <remarks>
/// <c>constructor</c> and <c>prototype</c> alone are ordinary names a SPA may use (a form's "prototype" field, say); only
/// their chain, <c>{"constructor":{"prototype":…}}</c>, is the gadget (<c>target.constructor</c> is <c>Object</c>, and
/// <c>Object.prototype</c> is what a merge then writes into). Stored values are not checked: what Koa wrote is read as
/// it is.
/// </remarks>
internal static class PrototypeKeys
{
    public const string Proto = "__proto__";
    public const string Constructor = "constructor";
    public const string Prototype = "prototype";

    /// <summary>The JSON pointer (RFC 6901) of the first forbidden member of <paramref name="body"/>, or null when it has none.</summary>
    public static string? Find(JsonObject body) => Find(body, "", insideConstructor: false);

    // Recursive: the body parser refuses nesting deeper than 64 levels before this runs.
    private static string? Find(JsonNode? node, string pointer, bool insideConstructor)
    {
        switch (node)
        {
            case JsonObject members:
                foreach (var (name, value) in members)
                {
                    var path = pointer + "/" + Escape(name);
                    if (name == Proto || (insideConstructor && name == Prototype)) return path;
                    if (Find(value, path, name == Constructor) is { } found) return found;
                }
                return null;
            case JsonArray items:
                for (var i = 0; i < items.Count; i++)
                {
                    // An array in between breaks the constructor.prototype chain: constructor[0] is not Object.
                    if (Find(items[i], pointer + "/" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), insideConstructor: false) is { } found) return found;
                }
                return null;
            default:
                return null;
        }
    }

    /// <summary>The problem's detail for the member at <paramref name="pointer"/>: its pointer, and what it would reach.</summary>
    public static string Detail(string pointer)
    {
        var (key, reaches) = pointer.EndsWith("/" + Proto, StringComparison.Ordinal)
            ? (Proto, "the prototype of the object holding it")
            : (Constructor + "." + Prototype, "Object.prototype, shared by every object");
        return $"The member at {pointer} is not allowed: in JavaScript, '{key}' reaches {reaches}, which an app merging this session " +
            "into its own objects would change. Rename or remove it.";
    }

    private static string Escape(string name) => name.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);
}
