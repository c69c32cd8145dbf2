using System.Diagnostics;
using MlNetRnn.Pipelines.Demo;
using static TorchSharp.torch;

if (args.Length > 0 && args[0] == "demo")
{
    SeedNotebook.Run(Console.Out);
}
if (args.Length > 0 && args[0] == "prof")
{
    MlNetRnn.Utils.SetRandomSeed(0);
    if (args.Length > 1) set_num_threads(int.Parse(args[1]));
    Console.WriteLine($"threads {get_num_threads()}");
    var x = SeedNotebook.OneHotInputs(); var y = SeedNotebook.TagTargets();
    var m = SeedNotebook.Tagger(1);
    m.Fit(x, y, epochs: 50, verbose: 0);
    var sw = Stopwatch.StartNew();
    m.Fit(x, y, epochs: 500, verbose: 0);
    Console.WriteLine($"fit/epoch {sw.Elapsed.TotalMilliseconds / 500:F3} ms");
    sw.Restart();
    for (int i = 0; i < 500; i++) { using var s = NewDisposeScope(); using var ng = no_grad(); m.Forward(x); }
    Console.WriteLine($"fwd nograd {sw.Elapsed.TotalMilliseconds / 500:F3} ms");
    sw.Restart();
    for (int i = 0; i < 500; i++) { using var s = NewDisposeScope(); var (o, _) = m.Forward(x); var l = m.Loss!.Compute(y, o[0]); l.backward(); }
    Console.WriteLine($"fwd+bwd {sw.Elapsed.TotalMilliseconds / 500:F3} ms");
    sw.Restart();
    for (int i = 0; i < 500; i++) { using var s = NewDisposeScope(); m.Optimizer!.Step(); }
    Console.WriteLine($"opt {sw.Elapsed.TotalMilliseconds / 500:F3} ms");
}
