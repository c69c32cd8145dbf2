namespace MlNetRnn.Tests;

[TestClass]
public static class TestSetup
{
    // Tests call TorchSharp directly; make sure libtorch's OpenMP is configured before it first loads.
    [AssemblyInitialize]
    public static void Initialize(TestContext context) => MlNetRnn.Utils.EnsureNativeSettings();
}
