using System.Text.Json.Nodes;
using SessionFunctions.Configuration;
using SessionFunctions.Cookies;
using SessionFunctions.Storage;

namespace SessionFunctions.Lifecycle;

/// <summary>
/// The current session: koa's <c>ctx.sessionId</c> and <c>ctx.session</c>. <see cref="Data"/> is the JSON object that is
/// stored and returned: the user's fields plus the <c>cookie</c> sub-object. Changes are tracked explicitly
/// (<see cref="MarkChanged"/>), and <see cref="Basis"/> is the one record of what the store holds.
/// </summary>
internal sealed class Session
{
    private readonly string? _source;
    private readonly string? _sourceHash;
    private StoredSession? _basis;
    private string? _json;
    private string? _hash;
    private SessionCookie? _cookieAttributes;
    private bool _changed;

    private Session(string id, JsonObject data, StoredSession? stored, bool resignCookie)
    {
        Id = id;
        Data = data;
        _source = stored?.Json;
        _sourceHash = stored?.Hash;
        _basis = stored;
        ResignCookie = resignCookie;
        _changed = stored is null;
    }

    /// <summary>The sid. A new session's id changes only if the store already holds it.</summary>
    public string Id { get; private set; }

    /// <summary>The session's fields and cookie options. Whoever changes it calls <see cref="MarkChanged"/>.</summary>
    public JsonObject Data { get; }

    /// <summary>The session's cookie options, the <c>cookie</c> sub-object of <see cref="Data"/>.</summary>
    public JsonObject Cookie => (JsonObject)Data[SessionCookie.PropertyName]!;

    /// <summary>
    /// What the store holds under <see cref="Id"/>, as far as this request knows: what the session was loaded from, or
    /// what this request wrote. A save writes only over it. Null while the session is not stored.
    /// </summary>
    public StoredSession? Basis => _basis;

    /// <summary>The <see cref="SessionHash"/> of <see cref="Basis"/>: the ETag the client saw.</summary>
    public string? ExpectedHash => _basis?.Hash;

    /// <summary>Whether the JSON differs from what the store holds: koa's hash comparison of <c>JSON.stringify</c>.</summary>
    public bool HasChanges => Hash != ExpectedHash;

    /// <summary>
    /// The attributes <see cref="Cookie"/> gives the cookie pair and the TTL, read once per change: a save needs them for
    /// its TTL, its Set-Cookie and its expiry headers.
    /// </summary>
    /// <param name="defaults">The configured cookie, for what the object leaves out.</param>
    public SessionCookie CookieAttributes(SessionCookieOptions defaults) => _cookieAttributes ??= SessionCookie.Read(Cookie, defaults);

    /// <summary>The request's signature used an older key, so the cookie pair must be re-sent signed with the first key.</summary>
    public bool ResignCookie { get; }

    /// <summary>The <see cref="SessionHash"/> of <see cref="ToJson"/>: the session's ETag once stored.</summary>
    public string Hash => _hash ??= !_changed && _sourceHash is not null ? _sourceHash : SessionHash.Of(ToJson());

    /// <summary>A new session holding <paramref name="data"/>: its fields and its <c>cookie</c> object.</summary>
    public static Session New(string id, JsonObject data) => new(id, data, stored: null, resignCookie: false);

    /// <summary>A session read (or remembered) from the store; a stored session without a cookie object gets <paramref name="defaults"/>.</summary>
    public static Session Loaded(string id, StoredSession stored, SessionCookieOptions defaults, bool resignCookie)
    {
        var session = new Session(id, stored.Data, stored, resignCookie);
        if (session.Data[SessionCookie.PropertyName] is not JsonObject)
        {
            session.Data[SessionCookie.PropertyName] = SessionCookie.NewJson(defaults);
            session.MarkChanged();
        }
        return session;
    }

    /// <summary>Records a change of <see cref="Data"/>: the JSON is written again.</summary>
    public void MarkChanged()
    {
        _changed = true;
        _json = null;
        _hash = null;
        _cookieAttributes = null;
    }

    /// <summary>Records that the store now holds <see cref="ToJson"/>, with a TTL set now.</summary>
    public void MarkStored()
    {
        _basis = ToStored();
        TtlSet = true;
    }

    /// <summary>Records that this request gave the session a fresh TTL without writing it (a rolling read).</summary>
    public void MarkTtlSet() => TtlSet = true;

    /// <summary>Whether this request set the session's TTL (stored or touched it), so its idle deadline is now + TTL.</summary>
    public bool TtlSet { get; private set; }

    /// <summary>The text the session was loaded from, as the store held it; null for a new session, or one recalled without its text.</summary>
    public string? LoadedJson => _source;

    /// <summary>Moves a new session to another id, when the store already holds the first one.</summary>
    public void MoveTo(string id) => Id = id;

    /// <summary>
    /// The session as JSON, as it is stored and returned: the loaded text itself while unchanged, else written once and
    /// reused until the next <see cref="MarkChanged"/>.
    /// </summary>
    public string ToJson() => _json ??= _changed || _source is null ? SessionJson.Serialize(Data) : _source;

    /// <summary>What the store would hold after a write of this session.</summary>
    public StoredSession ToStored() => new(Data, ToJson(), Hash);

    /// <summary>Replaces every field but <c>cookie</c> with <paramref name="fields"/> (a <c>PUT</c>).</summary>
    public void ReplaceFields(JsonObject fields)
    {
        foreach (var name in Data.Select(p => p.Key).Where(k => k != SessionCookie.PropertyName).ToList())
            Data.Remove(name);
        foreach (var (name, value) in fields)
            Data[name] = value?.DeepClone();
        MarkChanged();
    }

    /// <summary>Merges <paramref name="patch"/> into every field but <c>cookie</c>, as RFC 7396 JSON Merge Patch does (a <c>PATCH</c>).</summary>
    public void MergeFields(JsonObject patch)
    {
        MergePatch.Apply(Data, patch);
        MarkChanged();
    }
}
