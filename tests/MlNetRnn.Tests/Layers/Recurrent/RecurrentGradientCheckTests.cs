using MlNetRnn.Layers;
using MlNetRnn.Models;
using static MlNetRnn.Tests.Layers.Recurrent.RecurrentKinds;
using static TorchSharp.torch;

namespace MlNetRnn.Tests.Layers.Recurrent;

/// <summary>
/// Autograd against central finite differences in float64, for every weight element of
/// Embedding(maskZero) → recurrent layer → TimeDistributed(Dense(softmax)) on right-padded ids (one row empty),
/// on the fused kernel (packed rows) and on the step loop.
/// </summary>
[TestClass]
public sealed class RecurrentGradientCheckTests
{
    private static readonly long[] Ids = { 3, 1, 4, 1, 5, 2, 6, 0, 0, 0, 0, 0, 0, 0, 0, 5, 3, 5, 2, 1 };

    [TestMethod]
    [DataRow(SimpleRnn, false)]
    [DataRow(SimpleRnn, true)]
    [DataRow(Lstm, false)]
    [DataRow(Lstm, true)]
    [DataRow(Gru, true)]
    [DataRow(GruResetBefore, true)]
    public void AutogradMatchesFiniteDifferences(string kind, bool stepwise)
    {
        var (count, maxError) = GradientCheck(() =>
        {
            var model = Tagger(seed: 5);
            var rnn = Make(kind, 3, returnSequences: true);
            rnn.PreferStepwise = stepwise;
            model.Add(rnn);
            model.Add(new TimeDistributed(new Dense(4, activation: "softmax", biasInitializer: "uniform")));
            return model;
        }, tensor(Ids).reshape(4, 5), Targets());
        Console.WriteLine($"{kind} {(stepwise ? "stepwise" : "fused")}: {count} elements, max |autograd − numeric| = {maxError:E2}");
        int gates = kind == Lstm ? 4 : kind == SimpleRnn ? 1 : 3;
        long bias = kind == Gru ? 2 * gates * 3 : gates * 3;
        Assert.AreEqual(7 * 2 + 2 * gates * 3 + 3 * gates * 3 + bias + 3 * 4 + 4, count);
    }

    [TestMethod]
    [DataRow(Lstm, false)]
    [DataRow(Lstm, true)]
    [DataRow(Gru, true)]
    public void Bidirectional_AutogradMatchesFiniteDifferences(string kind, bool stepwise)
    {
        var (count, maxError) = GradientCheck(() =>
        {
            var model = Tagger(seed: 6);
            var wrapper = new Bidirectional(Make(kind, 2, returnSequences: true));
            wrapper.ForwardLayer.PreferStepwise = wrapper.BackwardLayer.PreferStepwise = stepwise;
            model.Add(wrapper);
            model.Add(new TimeDistributed(new Dense(4, activation: "softmax", biasInitializer: "uniform")));
            return model;
        }, tensor(Ids).reshape(4, 5), Targets());
        Console.WriteLine($"Bidirectional {kind} {(stepwise ? "stepwise" : "fused")}: {count} elements, max error {maxError:E2}");
        int gates = kind == Lstm ? 4 : 3;
        long bias = kind == Gru ? 2 * gates * 2 : gates * 2;
        Assert.AreEqual(7 * 2 + 2 * (2 * gates * 2 + 2 * gates * 2 + bias) + 4 * 4 + 4, count);
    }

    // Rows of 5, 5, 4 and 5 ids: 20 steps for 19 real ones, so the fused kernel runs unpacked (RNN's padding rule).
    [TestMethod]
    [DataRow(SimpleRnn)]
    [DataRow(Lstm)]
    public void LittlePadding_AutogradMatchesFiniteDifferences(string kind)
    {
        var ids = tensor(new long[] { 3, 1, 4, 1, 5, 2, 6, 5, 3, 5, 1, 2, 4, 6, 0, 5, 3, 5, 2, 1 }).reshape(4, 5);
        Assert.IsTrue(RNN.RunsUnpacked(realSteps: 19, batchSteps: 20, returnState: false), "these batches take the unpacked path");
        var (count, maxError) = GradientCheck(() =>
        {
            var model = Tagger(seed: 7);
            model.Add(new Bidirectional(Make(kind, 2, returnSequences: true)));
            model.Add(new TimeDistributed(new Dense(4, activation: "softmax", biasInitializer: "uniform")));
            return model;
        }, ids, Targets());
        Console.WriteLine($"little padding, Bidirectional {kind}: {count} elements, max error {maxError:E2}");
        int gates = kind == Lstm ? 4 : 1;
        Assert.AreEqual(7 * 2 + 2 * (2 * gates * 2 + 2 * gates * 2 + gates * 2) + 4 * 4 + 4, count);
    }

    private static Sequential Tagger(int seed)
    {
        var model = new Sequential(seed: seed);
        model.Add(new Embedding(7, 2, maskZero: true, inputShape: [5]));
        return model;
    }

    private static Tensor Targets() => tensor(new long[] { 0, 1, 2, 3, 0, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 3, 2, 1, 0, 1 }).reshape(4, 5);
}
