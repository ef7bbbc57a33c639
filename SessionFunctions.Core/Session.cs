using System.Text.Json.Nodes;

namespace SessionFunctions;

/// <summary>
/// The current session: koa's <c>ctx.sessionId</c> and <c>ctx.session</c>. <see cref="Data"/> is the JSON object that is
/// stored and returned: the user's fields plus the <c>cookie</c> sub-object.
/// </summary>
public sealed class Session
{
    private Session(string id, JsonObject data, JsonObject? original, bool resignCookie)
    {
        Id = id;
        Data = data;
        Original = original;
        ResignCookie = resignCookie;
    }

    /// <summary>The sid. A new session's id changes only if the store already holds it.</summary>
    public string Id { get; internal set; }

    public JsonObject Data { get; }

    /// <summary>True until the session has been stored: it was not loaded from the store.</summary>
    public bool IsNew => Original is null;

    /// <summary>The session's cookie options, the <c>cookie</c> sub-object of <see cref="Data"/>.</summary>
    public JsonObject Cookie => (JsonObject)Data[SessionCookie.PropertyName]!;

    /// <summary>The value as loaded, for change detection; null for a new session.</summary>
    internal JsonObject? Original { get; }

    /// <summary>The request's signature used an older key, so the cookie pair must be re-sent signed with the first key.</summary>
    internal bool ResignCookie { get; }

    /// <summary>A new session holding <paramref name="data"/>: its fields and its <c>cookie</c> object.</summary>
    internal static Session New(string id, JsonObject data) => new(id, data, null, false);

    internal static Session Loaded(string id, JsonObject stored, SessionCookieOptions defaults, bool resignCookie)
    {
        var original = (JsonObject)stored.DeepClone();
        if (stored[SessionCookie.PropertyName] is not JsonObject)
            stored[SessionCookie.PropertyName] = SessionCookie.NewJson(defaults);
        return new Session(id, stored, original, resignCookie);
    }

    /// <summary>Replaces every field but <c>cookie</c> with <paramref name="fields"/>.</summary>
    public void ReplaceFields(JsonObject fields)
    {
        foreach (var name in Data.Select(p => p.Key).Where(k => k != SessionCookie.PropertyName).ToList())
            Data.Remove(name);
        foreach (var (name, value) in fields)
            Data[name] = value?.DeepClone();
    }
}
