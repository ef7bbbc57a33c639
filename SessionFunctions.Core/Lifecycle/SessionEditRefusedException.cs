namespace SessionFunctions.Lifecycle;

/// <summary>Why the lifecycle refused a client's edit.</summary>
internal enum SessionEditRefusal
{
    /// <summary>The <c>cookie</c> object asks for an option a client may not set, or a value out of range.</summary>
    InvalidCookie,

    /// <summary>The edit would add, change or remove a protected field (<c>Session:ProtectedPaths</c>).</summary>
    ProtectedField,
}

/// <summary>A client's edit that no client may make; nothing of it was applied or stored. The HTTP layer answers with the problem it maps to.</summary>
internal sealed class SessionEditRefusedException(SessionEditRefusal reason, string detail) : Exception(detail)
{
    public SessionEditRefusal Reason { get; } = reason;
}
