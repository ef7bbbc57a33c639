using System.Text.Json.Nodes;

namespace SessionFunctions;

/// <summary>
/// The current session: koa's <c>ctx.sessionId</c> and <c>ctx.session</c>. <see cref="Data"/> is the JSON object that is
/// stored and returned: the user's fields plus the <c>cookie</c> sub-object.
/// </summary>
public sealed class Session
{
    private readonly JsonObject _data;
    private readonly string? _storedJson;
    private string? _json;

    private Session(string id, JsonObject data, string? storedJson, bool resignCookie)
    {
        Id = id;
        _data = data;
        _storedJson = storedJson;
        ResignCookie = resignCookie;
    }

    /// <summary>The sid. A new session's id changes only if the store already holds it.</summary>
    public string Id { get; internal set; }

    /// <summary>The session's fields and cookie options. Whoever takes it may change it, so it counts as a change to check.</summary>
    public JsonObject Data
    {
        get
        {
            Touched = true;
            _json = null;
            return _data;
        }
    }

    /// <summary><see cref="Data"/> for reading only: does not count as a change.</summary>
    internal JsonObject Current => _data;

    /// <summary>True until the session has been stored: it was not loaded from the store.</summary>
    public bool IsNew => _storedJson is null;

    /// <summary>The session's cookie options, the <c>cookie</c> sub-object of <see cref="Data"/>.</summary>
    public JsonObject Cookie => (JsonObject)Data[SessionCookie.PropertyName]!;

    /// <summary>The text the session was loaded from; null for a new session.</summary>
    internal string? StoredJson => _storedJson;

    /// <summary>Whether <see cref="Data"/> may differ from what was loaded: a plain read never needs to compare.</summary>
    internal bool Touched { get; private set; }

    /// <summary>The request's signature used an older key, so the cookie pair must be re-sent signed with the first key.</summary>
    internal bool ResignCookie { get; }

    /// <summary>
    /// Loaded from this instance's memory of the stored value rather than from the store: a guess, which the save
    /// checks, and which can never prove by itself that the session still exists.
    /// </summary>
    internal bool Recalled { get; private init; }

    /// <summary>
    /// The text the store should hold now, which a save must replace: the loaded text, or after a conflict the save's
    /// own earlier write.
    /// </summary>
    internal string? Expected { get; private init; }

    /// <summary>The store holds an earlier attempt of this save, made on a stale base, so it must be written over.</summary>
    internal bool MustRewrite => Expected != _storedJson;

    /// <summary>
    /// The session as JSON, as it is stored and returned: the loaded text itself while nothing took <see cref="Data"/>,
    /// else written once and reused until <see cref="Data"/> is taken again.
    /// </summary>
    public string ToJson() => _json ??= !Touched && _storedJson is not null ? _storedJson : SessionJson.Serialize(_data);

    /// <summary>A new session holding <paramref name="data"/>: its fields and its <c>cookie</c> object.</summary>
    internal static Session New(string id, JsonObject data) => new(id, data, null, false);

    /// <param name="id">The sid.</param>
    /// <param name="stored">What was read (or recalled, or replaced by a conflicting save).</param>
    /// <param name="defaults">The cookie options to add when the stored session has none.</param>
    /// <param name="resignCookie">See <see cref="ResignCookie"/>.</param>
    /// <param name="recalled">See <see cref="Recalled"/>.</param>
    /// <param name="expected">See <see cref="Expected"/>; the stored text unless a save already overwrote it.</param>
    internal static Session Loaded(string id, StoredSession stored, SessionCookieOptions defaults, bool resignCookie,
        bool recalled = false, string? expected = null)
    {
        var touched = stored.Data[SessionCookie.PropertyName] is not JsonObject;
        if (touched) stored.Data[SessionCookie.PropertyName] = SessionCookie.NewJson(defaults);
        return new Session(id, stored.Data, stored.Json, resignCookie)
        {
            Touched = touched,
            Recalled = recalled,
            Expected = expected ?? stored.Json,
        };
    }

    /// <summary>Replaces every field but <c>cookie</c> with <paramref name="fields"/>.</summary>
    public void ReplaceFields(JsonObject fields)
    {
        Touched = true;
        foreach (var name in Data.Select(p => p.Key).Where(k => k != SessionCookie.PropertyName).ToList())
            Data.Remove(name);
        foreach (var (name, value) in fields)
            Data[name] = value?.DeepClone();
    }
}
