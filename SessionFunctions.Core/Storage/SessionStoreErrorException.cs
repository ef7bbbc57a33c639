namespace SessionFunctions.Storage;

/// <summary>
/// The store answered, with an error (Redis: <c>OOM</c>, <c>READONLY</c>, <c>WRONGTYPE</c> …). Waiting for a reconnect
/// would not help, so the API answers 503 <c>store-error</c> at once and logs <see cref="Exception.Message"/>.
/// </summary>
public sealed class SessionStoreErrorException : Exception
{
    /// <param name="code">The error's first word, e.g. <c>OOM</c>: safe to show a client, unlike the full reply.</param>
    /// <param name="message">The store's reply, for the log.</param>
    /// <param name="innerException">The client library's exception.</param>
    public SessionStoreErrorException(string code, string message, Exception? innerException = null) : base(message, innerException) =>
        Code = code;

    /// <summary>The error's first word, e.g. <c>OOM</c>.</summary>
    public string Code { get; }
}
