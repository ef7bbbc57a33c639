using SessionFunctions.Storage;

namespace SessionFunctions.UserIndex;

/// <summary>The request's own session, as the lifecycle loaded it for a listing or a sign-out.</summary>
/// <param name="Id">Its sid.</param>
/// <param name="Stored">What the store holds.</param>
internal sealed record CurrentSession(string Id, StoredSession Stored);
