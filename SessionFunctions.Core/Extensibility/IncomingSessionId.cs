namespace SessionFunctions.Extensibility;

/// <summary>What a request says about its session id.</summary>
/// <param name="Id">The verified sid, or null when the request carries none that can be used.</param>
/// <param name="Stale">A sid was sent but cannot be used (no or bad signature); the client should drop it.</param>
/// <param name="SignedWithOldKey">The signature matched a key other than the first, so the pair must be re-signed.</param>
public readonly record struct IncomingSessionId(string? Id, bool Stale = false, bool SignedWithOldKey = false)
{
    public static readonly IncomingSessionId None = new(null);
}
