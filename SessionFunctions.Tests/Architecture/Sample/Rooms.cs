// Two rooms for ArchitectureTests to judge: Top may use Bottom; Bottom's lambda uses Top, which the check must find.
namespace SessionFunctions.Tests.Architecture.Sample.Top
{
    internal static class Endpoint
    {
        public static int Handle() => Bottom.Store.Read(() => 1);

        public static string Name() => nameof(Endpoint);
    }
}

namespace SessionFunctions.Tests.Architecture.Sample.Bottom
{
    internal static class Store
    {
        public static int Read(Func<int> value) => value();

        public static Func<int> Backwards() => () => Top.Endpoint.Name().Length;
    }
}
