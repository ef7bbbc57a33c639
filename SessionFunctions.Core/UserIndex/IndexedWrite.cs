using System.Text.Json.Nodes;

namespace SessionFunctions.UserIndex;

/// <summary>A write the lifecycle is about to make, as the user index needs to know it (<see cref="IUserSessionIndex.BeforeWriteAsync"/>).</summary>
/// <param name="SessionId">The session's id.</param>
/// <param name="Data">What is about to be stored: the user id is read from it.</param>
internal readonly record struct IndexedWrite(string SessionId, JsonObject Data)
{
    /// <summary>
    /// The text the store holds under <see cref="SessionId"/> now, which the write replaces (a save): the index the session
    /// leaves if its user changes. Null for a new session, or one whose text is not known.
    /// </summary>
    public string? StoredJson { get; init; }

    /// <summary>The session this new one replaces and is deleted once it is stored (create, regenerate); null for none.</summary>
    public string? Replaces { get; init; }

    /// <summary>
    /// Whether the new session continues <see cref="Replaces"/> on the same device (a regenerate without a new login): its
    /// entry keeps that one's created time and label, so a sign-out still counts it as a session that existed before.
    /// </summary>
    public bool Inherits { get; init; }
}
