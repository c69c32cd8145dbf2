using MlNetRnn.Training;
using static TorchSharp.torch;
using static MlNetRnn.Tests.Training.TrainingTestModels;

namespace MlNetRnn.Tests.Training;

[TestClass]
public sealed class OptimizerAndLossTests
{
    // OneStep: g(bias) = g(kernel row) = [−0.5, 0.5]; ‖g‖ = 0.70710678.
    [TestMethod]
    [DataRow(double.NaN)]
    [DataRow(-0.1)]
    [DataRow(1.0)]
    public void DecayRatesAndMomentum_OutsideZeroToOne_AreRefused(double value)
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => new Adam(beta1: value));
        Assert.AreEqual($"beta1 must be in [0, 1); received {value}. (Parameter 'beta1')", e.Message);
        Assert.ThrowsExactly<ArgumentException>(() => new Adam(beta2: value));
        Assert.ThrowsExactly<ArgumentException>(() => new RMSprop(rho: value));
        Assert.ThrowsExactly<ArgumentException>(() => new RMSprop(momentum: value));
        Assert.ThrowsExactly<ArgumentException>(() => new SGD(momentum: value));
    }

    [TestMethod]
    public void ClipNorm_RescalesEachGradientToTheNorm()
    {
        using var scope = NewDisposeScope();
        using var model = OneStep(new SGD(learningRate: 1, clipnorm: 0.5));
        model.TrainOnBatch(ones(1, 1), zeros(1, dtype: ScalarType.Int64));
        // g·0.5/‖g‖ = ±0.35355339; w = −lr·g.
        var w = model.GetWeights();
        Assert.AreEqual(0.35355339, w[1][0].item<float>(), 1e-7);
        Assert.AreEqual(-0.35355339, w[1][1].item<float>(), 1e-7);
        Assert.AreEqual(0.35355339, w[0][0, 0].item<float>(), 1e-7);
    }

    [TestMethod]
    public void ClipNorm_LeavesSmallGradientsAlone_ClipValueClipsEachValue()
    {
        using var scope = NewDisposeScope();
        using var wide = OneStep(new SGD(learningRate: 1, clipnorm: 2));
        wide.TrainOnBatch(ones(1, 1), zeros(1, dtype: ScalarType.Int64));
        Assert.AreEqual(0.5f, wide.GetWeights()[1][0].item<float>());
        using var clipped = OneStep(new SGD(learningRate: 1, clipvalue: 0.3));
        clipped.TrainOnBatch(ones(1, 1), zeros(1, dtype: ScalarType.Int64));
        Assert.AreEqual(0.3f, clipped.GetWeights()[1][0].item<float>());
        Assert.AreEqual(-0.3f, clipped.GetWeights()[1][1].item<float>());
        var e = Assert.ThrowsExactly<ArgumentException>(() => new Adam(clipnorm: 1, clipvalue: 1));
        StringAssert.Contains(e.Message, "Only one of clipnorm and clipvalue");
    }

    [TestMethod]
    public void RMSprop_OneStepFollowsKerasFormula()
    {
        using var scope = NewDisposeScope();
        var rmsprop = (RMSprop)Optimizer.Get("rmsprop");
        Assert.AreEqual((0.001, 0.9, 0.0, 1e-7, false), (rmsprop.LearningRate, rmsprop.Rho, rmsprop.Momentum, rmsprop.Epsilon, rmsprop.Centered));
        using var model = OneStep(rmsprop);
        model.TrainOnBatch(ones(1, 1), zeros(1, dtype: ScalarType.Int64));
        // v = 0.1·0.25 = 0.025; Δ = 0.001·0.5/√(0.025 + 1e-7) = 3.16227134e-3 (ε inside the root).
        Assert.AreEqual(3.16227134e-3, model.GetWeights()[1][0].item<float>(), 1e-9);

        using var centered = OneStep(new RMSprop(centered: true, momentum: 0.9));
        centered.TrainOnBatch(ones(1, 1), zeros(1, dtype: ScalarType.Int64));
        // a = 0.1·g = −0.05; Δ = 0.0005/√(0.025 − 0.0025 + 1e-7) = 3.33332593e-3; momentum starts at 0, so m = Δ.
        Assert.AreEqual(3.33332593e-3, centered.GetWeights()[1][0].item<float>(), 1e-9);
    }

    [TestMethod]
    public void LearningRate_IsSettableAndChecked()
    {
        var adam = new Adam();
        adam.LearningRate = 0.01;
        Assert.AreEqual(0.01, adam.LearningRate);
        var e = Assert.ThrowsExactly<ArgumentException>(() => adam.LearningRate = -1);
        StringAssert.Contains(e.Message, "received -1");
    }

    [TestMethod]
    public void CategoricalCrossentropy_ByHandAndAgainstTheSparseLoss()
    {
        using var scope = NewDisposeScope();
        var loss = Loss.Get("categorical_crossentropy");
        var p = tensor(new float[] { 0.7f, 0.2f, 0.1f, 0.0f, 0.5f, 0.5f }).reshape(1, 2, 3);
        var oneHot = tensor(new float[] { 1, 0, 0, 0, 0, 1 }).reshape(1, 2, 3);
        // −log 0.7 and −log 0.5: mean 0.52491106; a zero probability is clipped to 1e-7 as in the sparse loss.
        Assert.AreEqual(0.52491106, loss.Compute(oneHot, p).item<float>(), 1e-6);
        Assert.AreEqual(0.35667494, loss.Compute(oneHot, p, tensor(new[] { true, false }).reshape(1, 2)).item<float>(), 1e-6);
        Assert.AreEqual(16.118096, loss.Compute(tensor(new float[] { 1, 0, 0 }).reshape(1, 1, 3), p[.., 1..]).item<float>(), 1e-4);

        var (x, y) = RandomData();
        using var sparse = Seed(8);
        using var categorical = Seed(8);
        categorical.Compile("categorical_crossentropy", "adam", ["accuracy"]);
        Assert.IsInstanceOfType<CategoricalAccuracy>(categorical.Metrics[0]);
        var a = sparse.Fit(x, y, epochs: 3, batchSize: 3, shuffle: false, verbose: 0);
        var b = categorical.Fit(x, nn.functional.one_hot(y, 3).to_type(ScalarType.Float32), epochs: 3, batchSize: 3, shuffle: false, verbose: 0);
        for (int i = 0; i < 3; i++) Assert.AreEqual(a.Loss[i], b.Loss[i], 1e-6);
        var e = Assert.ThrowsExactly<ArgumentException>(() => categorical.Fit(x, y, verbose: 0));
        StringAssert.Contains(e.Message, "(6, 3, 3)");
        StringAssert.Contains(e.Message, "received (6, 3)");
    }

    [TestMethod]
    public void SampleWeights_WeightTheLossAndABooleanOneMasks()
    {
        using var scope = NewDisposeScope();
        var loss = new SparseCategoricalCrossentropy();
        var p = tensor(new float[] { 0.7f, 0.2f, 0.1f, 0.0f, 0.5f, 0.5f }).reshape(1, 2, 3);
        var y = tensor(new long[] { 0, 2 }).reshape(1, 2);
        // (2·0.35667494 + 0·0.69314718)/2 positions.
        Assert.AreEqual(0.35667494, loss.Compute(y, p, sampleWeight: tensor(new float[] { 2, 0 }).reshape(1, 2)).item<float>(), 1e-6);
        Assert.AreEqual(0.35667494, loss.Compute(y, p, sampleWeight: tensor(new[] { true, false }).reshape(1, 2)).item<float>(), 1e-6);
    }

    [TestMethod]
    public void Accuracy_MatchesAHandCountWithAMask()
    {
        using var scope = NewDisposeScope();
        // argmax per position: 0, 1, 2, 0 against targets 0, 2, 2, 1 → right, wrong, right, wrong.
        var p = tensor(new float[] { 0.6f, 0.3f, 0.1f, 0.2f, 0.5f, 0.3f, 0.1f, 0.1f, 0.8f, 0.4f, 0.4f, 0.2f }).reshape(2, 2, 3);
        var y = tensor(new long[] { 0, 2, 2, 1 }).reshape(2, 2);
        var accuracy = Metric.Get("accuracy", new SparseCategoricalCrossentropy());
        accuracy.Update(y, p);
        Assert.AreEqual(0.5, accuracy.Result);
        accuracy.Reset();
        // Masking the second position of each row leaves right, right; ties take the first class (0 for [0.4, 0.4, 0.2]).
        accuracy.Update(y, p, tensor(new[] { true, false, true, false }).reshape(2, 2));
        Assert.AreEqual(1.0, accuracy.Result);
        accuracy.Update(y, p, tensor(new[] { false, true, false, true }).reshape(2, 2));
        Assert.AreEqual(0.5, accuracy.Result, "accumulates over batches: 2 right of 4 counted");
    }

    [TestMethod]
    public void AccuracyInFitAndEvaluate_CountsUnmaskedPositionsOfThePredictions()
    {
        using var scope = NewDisposeScope();
        var (x, y) = RandomData();
        using var model = Seed(3, metrics: ["accuracy"]);
        var mask = tensor(new[] { true, true, false, true, false, false, true, true, true, false, true, true,
                                  true, false, false, true, true, true }).reshape(6, 3);
        var before = model.Predict(x).argmax(-1).eq(y);
        double handBefore = before.logical_and(mask).sum().item<long>() / (double)mask.sum().item<long>();
        // One full batch: the epoch's training accuracy is that of the predictions before the update.
        var history = model.Fit(x, y, epochs: 1, batchSize: 6, verbose: 0, sampleWeight: mask);
        Assert.AreEqual(handBefore, history["accuracy"][0], 1e-12);
        var after = model.Predict(x).argmax(-1).eq(y);
        var evaluated = model.EvaluateMetrics([x], y, batchSize: 4);
        Assert.AreEqual(after.sum().item<long>() / 18.0, evaluated["accuracy"], 1e-12);
        Assert.AreEqual(model.Evaluate(x, y, batchSize: 4), evaluated["loss"]);
    }
}
