namespace SessionFunctions;

/// <summary>
/// The store cannot be reached right now (a connection failure or a timeout). Stores throw it for transient failures;
/// the API retries and answers 503 <c>store-unavailable</c> when it outlasts <see cref="SessionApiOptions.ReconnectTimeout"/>.
/// </summary>
public sealed class SessionStoreUnavailableException : Exception
{
    public SessionStoreUnavailableException(string message, Exception? innerException = null) : base(message, innerException) { }
}
