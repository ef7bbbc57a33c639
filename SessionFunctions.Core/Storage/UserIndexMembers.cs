namespace SessionFunctions.Storage;

/// <summary>A bounded read of a user's index (<see cref="ISessionUserIndexStore.MembersAsync"/>).</summary>
/// <param name="Members">At most the limit asked for: sid → entry text.</param>
/// <param name="Total">How many members the index has in all.</param>
internal sealed record UserIndexMembers(IReadOnlyDictionary<string, string> Members, long Total)
{
    public static readonly UserIndexMembers None = new(new Dictionary<string, string>(StringComparer.Ordinal), 0);

    /// <summary>Whether the index has members that were not read.</summary>
    public bool Truncated => Total > Members.Count;
}
