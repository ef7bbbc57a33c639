namespace SessionFunctions;

/// <summary>The store cannot be reached right now. Stores throw it for transient failures; the API answers 503 when it outlasts <see cref="SessionOptions.ReconnectTimeout"/>.</summary>
public sealed class SessionStoreUnavailableException : Exception
{
    public SessionStoreUnavailableException(string message, Exception? innerException = null) : base(message, innerException) { }
}
