using Microsoft.ML;
using MlNetRnn.MlNet;
using MlNetRnn.Models;

namespace MlNetRnn.Tests.MlNet;

/// <summary>
/// A learning rate far too high makes the weights NaN after the first update (S/V/O data, one batch per epoch, seed 1):
/// epoch 1's loss, measured before that update, is finite and epoch 2's is NaN. Fit reports it as
/// <see cref="TrainingDivergedException"/>, not as a failure deeper down.
/// </summary>
[TestClass]
public sealed class TrainingDivergenceTests
{
    private const double AbsurdLearningRate = 1e20;

    private static SequenceTaggerOptions Options(int epochs, List<EpochReport> reports, int patience = 0)
    {
        var options = SvoData.Options();
        options.Epochs = epochs;
        options.LearningRate = AbsurdLearningRate;
        options.EarlyStoppingPatience = patience;
        options.OnEpoch = reports.Add;
        return options;
    }

    [TestMethod]
    public void NanLoss_StopsTrainingAtThatEpoch_WithTheEpochAndWhatToChange()
    {
        var ml = new MLContext(seed: 1);
        var reports = new List<EpochReport>();
        var estimator = ml.SequenceTagging().Trainers.SimpleRnn(Options(epochs: 4, reports));
        var e = Assert.ThrowsExactly<TrainingDivergedException>(() => estimator.Fit(SvoData.TrainingView(ml)));
        Assert.AreEqual(
            "Training diverged: the loss became NaN at epoch 2 (learning rate 1E+20). Lower the learning rate or set a gradient clip norm.",
            e.Message);
        Assert.AreEqual(2, e.Epoch);
        Assert.IsTrue(double.IsNaN(e.Loss));
        Assert.AreEqual(AbsurdLearningRate, e.LearningRate);
        // The caller saw the NaN epoch; no epoch ran after it.
        CollectionAssert.AreEqual(new[] { 1, 2 }, reports.Select(r => r.Epoch).ToArray());
        Assert.IsTrue(double.IsFinite(reports[0].Loss), reports[0].ToString());
    }

    [TestMethod]
    public void WithEarlyStopping_ANanLossStillEndsTraining()
    {
        // Early stopping would keep epoch 1, whose weights gave epoch 2 its NaN loss: no model to fall back on.
        var ml = new MLContext(seed: 1);
        var reports = new List<EpochReport>();
        var estimator = ml.SequenceTagging().Trainers.SimpleRnn(Options(epochs: 4, reports, patience: 5));
        var view = SvoData.TrainingView(ml);
        var e = Assert.ThrowsExactly<TrainingDivergedException>(() => estimator.Fit(view, view));
        Assert.AreEqual(
            "Training diverged: the loss became NaN at epoch 2 (learning rate 1E+20). Lower the learning rate or set a gradient clip norm.",
            e.Message);
        CollectionAssert.AreEqual(new[] { 1, 2 }, reports.Select(r => r.Epoch).ToArray());
    }

    [TestMethod]
    public void WeightCheck_FindsOneNonFiniteValue_InTheLastWeight()
    {
        // The final check covers an update that broke the weights after the last loss was measured.
        var ml = new MLContext(seed: 1);
        var options = SvoData.Options();
        options.Epochs = 1;
        var model = ml.SequenceTagging().Trainers.SimpleRnn(options).Fit(SvoData.TrainingView(ml));
        Assert.IsTrue(SequenceTaggerEstimator.HasFiniteWeights(model.Network));
        var last = model.Network.Model.NamedWeights.Last().Weight.Variable;
        using (TorchSharp.torch.no_grad())
            last.view(-1).narrow(0, last.numel() - 1, 1).fill_(float.PositiveInfinity);
        Assert.IsFalse(SequenceTaggerEstimator.HasFiniteWeights(model.Network));
    }
}
