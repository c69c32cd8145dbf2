using MlNetRnn.Layers;
using MlNetRnn.Models;
using static TorchSharp.torch;
using static MlNetRnn.Tests.Layers.Recurrent.RecurrentKinds;

namespace MlNetRnn.Tests.Layers.Recurrent;

[TestClass]
public sealed class SimpleRNNTests
{
    [TestMethod]
    [DataRow(false, false, new long[] { 4, 6 }, null)]
    [DataRow(true, false, new long[] { 4, 5, 6 }, null)]
    [DataRow(false, true, new long[] { 4, 6 }, new long[] { 4, 6 })]
    [DataRow(true, true, new long[] { 4, 5, 6 }, new long[] { 4, 6 })]
    public void OutputShapes_ForEveryReturnCombination(bool returnSequences, bool returnState, long[] outputShape, long[]? stateShape)
    {
        using var scope = NewDisposeScope();
        using var model = Functional(new SimpleRNN(6, returnSequences: returnSequences, returnState: returnState), 5, 3);
        var outputs = model.PredictOutputs(RandomBatch(4, 5, 3, 1));
        Assert.HasCount(stateShape is null ? 1 : 2, outputs);
        CollectionAssert.AreEqual(outputShape, outputs[0].shape);
        if (stateShape is not null)
        {
            CollectionAssert.AreEqual(stateShape, outputs[1].shape);
        }
        CollectionAssert.AreEqual(outputShape.Skip(1).ToArray(), model.OutputShapes[0]);
    }

    [TestMethod]
    public void LastOutputEqualsReturnedState()
    {
        using var scope = NewDisposeScope();
        using var model = Functional(new SimpleRNN(6, returnSequences: true, returnState: true), 5, 3);
        var outputs = model.PredictOutputs(RandomBatch(4, 5, 3, 2));
        Assert.IsTrue(outputs[0][.., -1].allclose(outputs[1], rtol: 0, atol: 0));
    }

    [TestMethod]
    public void GoBackwards_EqualsRunningOnTheReversedInput()
    {
        using var scope = NewDisposeScope();
        var x = RandomBatch(3, 6, 4, 5);
        using var backwards = Functional(new SimpleRNN(5, returnSequences: true, returnState: true, goBackwards: true), 6, 4);
        using var forwards = Functional(new SimpleRNN(5, returnSequences: true, returnState: true), 6, 4);
        forwards.SetWeights(backwards.GetWeights());
        var b = backwards.PredictOutputs(x);
        var f = forwards.PredictOutputs(x.flip(1));
        Assert.IsTrue(b[0].allclose(f[0], rtol: 0, atol: 1e-6), "sequence");
        Assert.IsTrue(b[1].allclose(f[1], rtol: 0, atol: 1e-6), "state");
        Assert.IsFalse(b[1].allclose(forwards.PredictOutputs(x)[1], rtol: 0, atol: 1e-3), "direction must matter");
    }

    [TestMethod]
    [DataRow("tanh")]
    [DataRow("relu")]
    public void FusedKernel_MatchesTheStepwiseCell(string activation)
    {
        using var scope = NewDisposeScope();
        var rnn = new SimpleRNN(7, activation: activation, returnSequences: true, returnState: true);
        using var model = Functional(rnn, 6, 4);
        Assert.IsTrue(rnn.IsFused);
        var x = RandomBatch(3, 6, 4, 9);
        var fused = model.PredictOutputs(x);
        using var noGrad = no_grad();
        var (sequence, state) = rnn.RunStepwise(x, null);
        Assert.IsTrue(fused[0].allclose(sequence, rtol: 0, atol: 1e-5));
        Assert.IsTrue(fused[1].allclose(state, rtol: 0, atol: 1e-5));
    }

    // relu through the managed single-sequence loop (tanh and the LSTM: RecurrentLayerTests), with units that leave a
    // remainder after the blocks of four rows and after the vector width (130).
    [TestMethod]
    [DataRow(130, false)]
    [DataRow(4, true)]
    public void OneSequenceInInference_Relu_MatchesTheStepwiseCell(int units, bool goBackwards)
    {
        using var scope = NewDisposeScope();
        var rnn = new SimpleRNN(units, activation: "relu", returnSequences: true, returnState: true, goBackwards: goBackwards,
            biasInitializer: "uniform");
        using var model = Functional(rnn, 9, 5);
        var x = RandomBatch(1, 9, 5, 11);
        using var noGrad = no_grad();
        Assert.IsTrue(SingleSequenceRecurrence.Applies(x));
        AssertMatchesStepLoop(rnn, x, null, 1e-5, $"relu {units} goBackwards={goBackwards}");
    }

    // Where a gradient could be recorded, or for a batch, or in float64, libtorch's kernel runs as before.
    [TestMethod]
    public void OneSequence_TakesTheManagedLoopOnlyInInferenceOnFloat32Rows()
    {
        using var scope = NewDisposeScope();
        var one = RandomBatch(1, 4, 3, 2);
        Assert.IsFalse(SingleSequenceRecurrence.Applies(one), "gradient recording on");
        using var noGrad = no_grad();
        Assert.IsTrue(SingleSequenceRecurrence.Applies(one));
        Assert.IsFalse(SingleSequenceRecurrence.Applies(RandomBatch(2, 4, 3, 2)), "a batch of two");
        Assert.IsFalse(SingleSequenceRecurrence.Applies(one.to(ScalarType.Float64)), "float64");
        Assert.IsFalse(SingleSequenceRecurrence.Applies(RandomBatch(1, 0, 3, 2)), "no steps");
    }

    [TestMethod]
    public void NonFusedActivation_StepsThroughTheCell()
    {
        using var scope = NewDisposeScope();
        var rnn = new SimpleRNN(2, activation: "sigmoid", useBias: false);
        using var model = Functional(rnn, 2, 1);
        Assert.IsFalse(rnn.IsFused);
        // kernel [[1, -1]], recurrent_kernel [[0.5, 0], [0, 0.5]], input steps 1 then 2:
        // h1 = σ([1, -1]) = [0.7310586, 0.2689414]
        // h2 = σ(2·[1, -1] + 0.5·h1) = σ([2.3655293, -1.8655293]) = [0.9141607, 0.1340599]
        model.SetWeights([tensor(new float[,] { { 1, -1 } }), tensor(new float[,] { { 0.5f, 0 }, { 0, 0.5f } })]);
        var h = model.Predict(tensor(new float[] { 1, 2 }).reshape(1, 2, 1)).data<float>().ToArray();
        Assert.AreEqual(0.9141607, h[0], 1e-6);
        Assert.AreEqual(0.1340599, h[1], 1e-6);
    }

    [TestMethod]
    public void Mask_StopsTheStateAtTheLastRealStep()
    {
        using var scope = NewDisposeScope();
        var input = new Input([-1]);
        var embedded = new Embedding(10, 4, maskZero: true).Apply(input)[0];
        using var model = new Model(input, new SimpleRNN(5, returnSequences: true, returnState: true).Apply(embedded), seed: 4);
        var padded = tensor(new long[] { 3, 7, 2, 0, 0, 5, 1, 4, 8, 9 }).reshape(2, 5);
        var outputs = model.PredictOutputs(padded);
        var alone = model.PredictOutputs(tensor(new long[] { 3, 7, 2 }).reshape(1, 3));
        Assert.IsTrue(outputs[1][0].allclose(alone[1][0], rtol: 0, atol: 1e-6), "final state of the padded row");
        Assert.IsTrue(outputs[0][0, ..3].allclose(alone[0][0], rtol: 0, atol: 1e-6), "real steps");
        // Keras (zero_output_for_mask=False): padding steps repeat the last real output.
        Assert.IsTrue(outputs[0][0, 3..].allclose(outputs[0][0, 2].expand(2, 5), rtol: 0, atol: 0), "padding repeats the last real output");
        Assert.IsTrue(outputs[1][1].allclose(outputs[0][1, -1], rtol: 0, atol: 1e-6), "unpadded row");
    }

    [TestMethod]
    public void Mask_FusedAndStepwiseAgree()
    {
        using var scope = NewDisposeScope();
        var rnn = new SimpleRNN(4, returnSequences: true);
        using var model = Functional(rnn, 5, 3);
        var x = RandomBatch(2, 5, 3, 11);
        var mask = tensor(new[] { true, true, false, false, false, true, true, true, true, true }).reshape(2, 5);
        using var noGrad = no_grad();
        var fused = rnn.Call(x, mask)[0];
        var (stepwise, _) = rnn.RunStepwise(x, mask);
        Assert.IsTrue(fused.allclose(stepwise, rtol: 0, atol: 1e-5));
    }

    [TestMethod]
    public void MaskWithHoles_SkipsMaskedStepsAsKerasDoes()
    {
        // Keras: a masked step keeps the state and repeats the previous output. Row [x1, x2(masked), x3] must equal [x1, x3].
        using var scope = NewDisposeScope();
        var rnn = new SimpleRNN(4, returnSequences: true, returnState: true);
        using var model = Functional(rnn, -1, 3);
        var x = RandomBatch(1, 3, 3, 21);
        var holes = tensor(new[] { true, false, true }).reshape(1, 3);
        using var noGrad = no_grad();
        var withHole = rnn.Call(x, holes);
        var without = rnn.Call(x.index_select(1, tensor(new long[] { 0, 2 })));
        Assert.IsTrue(withHole[1].allclose(without[1], rtol: 0, atol: 1e-6), "state skips the hole");
        Assert.IsTrue(withHole[0][0, 2].allclose(without[0][0, 1], rtol: 0, atol: 1e-6), "output after the hole");
        Assert.IsTrue(withHole[0][0, 1].allclose(withHole[0][0, 0], rtol: 0, atol: 0), "masked step repeats the previous output");
    }

    [TestMethod]
    public void BadArguments_AreRejectedWithWhatWasReceived()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => new SimpleRNN(0));
        StringAssert.Contains(e.Message, "units=0");
        e = Assert.ThrowsExactly<ArgumentException>(() => new SimpleRNN(3, activation: "tanhh"));
        StringAssert.Contains(e.Message, "'tanhh'");
        StringAssert.Contains(e.Message, "tanh, relu");
        Assert.AreEqual("activation", e.ParamName);
        e = Assert.ThrowsExactly<ArgumentException>(() => new SimpleRNN(3, kernelInitializer: "glorot"));
        StringAssert.Contains(e.Message, "'glorot'");
        Assert.AreEqual("kernelInitializer", e.ParamName);
        e = Assert.ThrowsExactly<ArgumentException>(() => new SimpleRNN(3, inputShape: [3]));
        StringAssert.Contains(e.Message, "rank 3");
        StringAssert.Contains(e.Message, "(None, 3)");
    }
}
