using System.Text.Json.Nodes;

namespace SessionFunctions;

/// <summary>
/// What a request asks to change: the session's new fields, and the <c>cookie</c> overrides, if any. The lifecycle
/// applies it, and applies it again to a newer value when another writer got in first.
/// </summary>
/// <param name="Fields">Every field but <c>cookie</c>: they replace the session's fields.</param>
/// <param name="CookieOverrides">The <c>cookie</c> object of the body, checked by <see cref="CookieOverrides"/>; null for none.</param>
internal sealed record SessionEdit(JsonObject Fields, JsonObject? CookieOverrides);
