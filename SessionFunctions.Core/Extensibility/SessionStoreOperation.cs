namespace SessionFunctions.Extensibility;

/// <summary>Which store operation failed: koa's <c>type</c> argument of <c>errorHandler</c>.</summary>
public enum SessionStoreOperation
{
    Get,
    Set,
}
