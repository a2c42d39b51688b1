from django.db import migrations, models


def rates_from_the_single_rate(apps, schema_editor):
    # A job confirmed before had one rate for both sides: its reservation was reckoned at it.
    Job = apps.get_model("jobs", "Job")
    for pk, rate in Job.objects.values_list("pk", "credit_rate").iterator():
        Job.objects.filter(pk=pk).update(estimate_rates={"input": rate, "output": rate})


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0016_job_vocabulary"),
    ]

    operations = [
        migrations.AddField(
            model_name="job",
            name="estimate_rates",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text="Credits per 1000 input and per 1000 output tokens the estimate and reservation were reckoned at.",
            ),
        ),
        migrations.RunPython(rates_from_the_single_rate, migrations.RunPython.noop),
        migrations.RemoveField(model_name="job", name="credit_rate"),
    ]
