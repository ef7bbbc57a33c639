using SessionFunctions.Configuration;

namespace SessionFunctions.Storage;

/// <summary>
/// The store cannot be reached right now (a connection failure or a timeout). Stores throw it for transient failures;
/// the API retries and answers 503 <c>store-unavailable</c> when it outlasts <see cref="SessionApiOptions.ReconnectTimeout"/>.
/// </summary>
public sealed class SessionStoreUnavailableException : Exception
{
    public SessionStoreUnavailableException(string message, Exception? innerException = null) : base(message, innerException) { }

    /// <summary>
    /// Whether the command may have run in the store before the failure (it was sent, and its reply was lost); false when
    /// it was never sent (the connection could not be made, or the command was still queued). Default: true, the cautious
    /// answer for a store that cannot tell. A retried write trusts what it then finds to be its own work only if so.
    /// </summary>
    public bool MayHaveRun { get; init; } = true;
}
