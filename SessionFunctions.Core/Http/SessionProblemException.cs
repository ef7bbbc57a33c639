namespace SessionFunctions.Http;

/// <summary>A request the API rejects with <see cref="Problem"/>.</summary>
internal sealed class SessionProblemException(SessionProblem problem, string? detail = null) : Exception(detail ?? problem.Title)
{
    public SessionProblem Problem { get; } = problem;

    public string? Detail { get; } = detail;
}
