using SessionFunctions.Storage;

namespace SessionFunctions.Lifecycle;

/// <summary>
/// An <c>If-Match</c> or <c>If-None-Match</c> header (RFC 9110 §13.1): <c>*</c>, or a list of entity tags, each the
/// <see cref="SessionHash"/> of a stored session in quotes.
/// </summary>
/// <param name="Hashes">The hashes the client names; null for <c>*</c> (any current session).</param>
internal sealed record SessionPrecondition(IReadOnlySet<string>? Hashes)
{
    public static readonly SessionPrecondition Any = new((IReadOnlySet<string>?)null);

    /// <summary>Whether this names any session (<c>*</c>) rather than particular values.</summary>
    public bool IsAny => Hashes is null;

    public bool Matches(string? hash) => hash is not null && (Hashes is null || Hashes.Contains(hash));
}
