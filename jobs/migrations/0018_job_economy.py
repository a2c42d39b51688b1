from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0017_job_estimate_rates"),
    ]

    operations = [
        migrations.AddField(
            model_name="job",
            name="economy",
            field=models.BooleanField(
                default=False, help_text="Gemini calls on the Flex service tier: half price, slower answers, best effort."
            ),
        ),
    ]
