using System.Text.Json.Nodes;

namespace SessionFunctions.Lifecycle;

/// <summary>How an edit changes the session's fields.</summary>
internal enum SessionEditKind
{
    /// <summary><c>PUT</c> and <c>POST</c>: the fields replace every field of the session.</summary>
    Replace,

    /// <summary><c>PATCH</c>: the fields are an RFC 7396 merge patch.</summary>
    Merge,
}

/// <summary>
/// What a request asks to change: the session's fields, and the <c>cookie</c> overrides, if any. The lifecycle applies
/// it, and applies it again to a newer value when another writer got in first.
/// </summary>
/// <param name="Fields">Every member of the body but <c>cookie</c>.</param>
/// <param name="CookieOverrides">The <c>cookie</c> object of the body, checked by <see cref="CookieOverrides"/>; null for none.</param>
/// <param name="Kind">Whether the fields replace the session's or are merged into them.</param>
internal sealed record SessionEdit(JsonObject Fields, JsonObject? CookieOverrides, SessionEditKind Kind = SessionEditKind.Replace);
