"""The dashboard in a real browser (headless Chromium through selenium), against a live
`medicineman serve` and the sshd test host: first-run setup, add and test a server, a backup
watched to 100 %, a schedule with its next runs, pause and resume as admin, a forged form
refused, and a viewer who sees no write controls. Saves screenshots of the main pages.

Settings come from the environment (DashboardBrowserTests sets them): MM_DASHBOARD_URL,
MM_DASHBOARD_SETUP_LINK, MM_DASHBOARD_VIEWER / _VIEWER_PASSWORD, MM_DASHBOARD_SOURCE (a
directory to back up), MM_DASHBOARD_SCREENSHOTS, MM_TEST_SSH_HOST/PORT/USER/KEYS/FINGERPRINT,
MM_TEST_CHROMEDRIVER. Exits non-zero, with a screenshot and the page's text, on the first failure.
"""
import os
import sys
import time
import traceback

from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, TimeoutException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

ENV = os.environ
BASE = ENV["MM_DASHBOARD_URL"].rstrip("/")
SHOTS = ENV["MM_DASHBOARD_SCREENSHOTS"]
ADMIN, ADMIN_PASSWORD = "admin", "admin-password-1"


def log(message):
    print(f"[dashboard_flow] {message}", file=sys.stderr, flush=True)


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = ENV.get("MM_TEST_CHROMIUM", "/usr/bin/chromium")
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1440,1000", "--force-device-scale-factor=1", "--lang=en-US"):
        options.add_argument(argument)
    service = Service(executable_path=ENV.get("MM_TEST_CHROMEDRIVER", "/usr/bin/chromedriver"))
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(30)
    return driver


class Flow:
    def __init__(self, driver):
        self.driver = driver
        self.console_errors = []

    # --- helpers ---------------------------------------------------------------------------
    def open(self, path):
        self.driver.get(path if path.startswith("http") else BASE + path)
        self.check_console()

    def wait(self, condition, timeout=30, what="the page"):
        def settled(driver):
            try:
                return condition(driver)
            except WebDriverException as error:
                # Chromium reports an element replaced while it was being checked (the page
                # re-rendered) this way rather than as a stale element: not yet, look again.
                if "does not belong to the document" in str(error):
                    return False
                raise
        try:
            # Pages reload after a write: an element may go stale or be missing for a moment.
            return WebDriverWait(self.driver, timeout, poll_frequency=0.2,
                                 ignored_exceptions=(NoSuchElementException, StaleElementReferenceException)).until(settled)
        except TimeoutException:
            raise AssertionError(f"timed out waiting for {what}") from None

    def find(self, css):
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def finds(self, css):
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def visible(self, css, timeout=30):
        return self.wait(EC.visibility_of_element_located((By.CSS_SELECTOR, css)), timeout, css)

    def check_console(self):
        # A CSP violation or a script error shows in the browser log: the pages must have none.
        for entry in self.driver.get_log("browser"):
            message = entry.get("message", "")
            if "Content Security Policy" in message or "Uncaught" in message or "Refused to" in message:
                self.console_errors.append(message)

    def screenshot(self, name, height=None):
        full = self.driver.execute_script("return Math.max(document.body.scrollHeight, document.documentElement.scrollHeight)")
        # The window's height includes the browser's own chrome (about 140 px headless).
        self.driver.set_window_size(1440, height or min(max(full + 180, 900), 2800))
        time.sleep(0.3)
        path = os.path.join(SHOTS, name + ".png")
        self.driver.save_screenshot(path)
        self.driver.set_window_size(1440, 1000)
        log(f"screenshot {path}")

    def fill(self, css, text, scope=None):
        field = (scope or self.driver).find_element(By.CSS_SELECTOR, css)
        field.clear()
        field.send_keys(text)

    def fetch(self, method, path, headers_js="{}", body="{}"):
        return self.driver.execute_async_script(
            """const done = arguments[arguments.length - 1];
               fetch(arguments[1], {method: arguments[0], credentials: 'same-origin',
                     headers: Object.assign({'Content-Type': 'application/json'}, JSON.parse(arguments[2])), body: arguments[3]})
                 .then(r => r.text().then(t => done({status: r.status, body: t})))
                 .catch(e => done({status: 0, body: String(e)}));""",
            method, path, headers_js, body)

    # --- the flow --------------------------------------------------------------------------
    def setup_admin(self):
        log("first run: the setup link creates the admin")
        self.open(ENV["MM_DASHBOARD_SETUP_LINK"])
        self.screenshot("setup", height=900)
        self.fill("#username", ADMIN)
        self.fill("#password", ADMIN_PASSWORD)
        self.fill("#confirm", ADMIN_PASSWORD)
        self.find("#setup-form button[type=submit]").click()
        self.wait(EC.url_to_be(BASE + "/"), what="the overview after setup")
        assert self.find(".who-name").text == ADMIN

    def add_server(self):
        # A key, not the password: other suites may reset the test user's password meanwhile.
        log("add the sshd test host with its ed25519 key")
        self.open("/servers")
        form = self.find("#add-server-form")
        self.fill("input[name=name]", "test-host", form)
        self.fill("input[name=host]", ENV["MM_TEST_SSH_HOST"], form)
        self.fill("input[name=port]", ENV["MM_TEST_SSH_PORT"], form)
        self.fill("input[name=username]", ENV["MM_TEST_SSH_USER"], form)
        Select(form.find_element(By.CSS_SELECTOR, "select[name=authType]")).select_by_value("key")
        with open(os.path.join(ENV["MM_TEST_SSH_KEYS"], "id_ed25519")) as key:
            self.fill("textarea[name=credential]", key.read(), form)
        self.fill("input[name=tags]", "test, loopback", form)
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        self.visible("article.server[data-server='test-host']")

    def test_connection(self):
        log("test the connection: the host key fingerprint is shown")
        self.find("article.server[data-server='test-host'] [data-test-server]").click()
        code = self.visible("article.server[data-server='test-host'] [data-fingerprint]", timeout=40)
        fingerprint = code.text
        assert fingerprint.startswith("SHA256:"), fingerprint
        expected = ENV.get("MM_TEST_SSH_FINGERPRINT")
        assert not expected or fingerprint == expected, f"{fingerprint} != {expected}"
        self.screenshot("servers")

    def backup(self):
        log("start a backup and watch its row reach 100 % and completed")
        card = self.find("article.server[data-server='test-host']")
        card.find_element(By.CSS_SELECTOR, "details.popover summary").click()
        form = card.find_element(By.CSS_SELECTOR, "form[data-backup-form]")
        self.fill("input[name=paths]", ENV["MM_DASHBOARD_SOURCE"], form)
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        self.wait(EC.url_to_be(BASE + "/backups"), what="the backups page")
        row = self.visible("tr[data-backup]")
        backup_id = row.get_attribute("data-backup")
        seen = []

        def finished(driver):
            bar = driver.find_elements(By.CSS_SELECTOR, f"tr[data-backup='{backup_id}'] progress[data-progress]")
            status = driver.find_element(By.CSS_SELECTOR, f"tr[data-backup='{backup_id}'] [data-field=status]").text
            value = bar[0].get_attribute("value") if bar else None
            seen.append((status, value))
            return status == "completed" and bool(bar) and value in ("100", "100.0")
        self.wait(finished, timeout=90, what="the backup row to turn completed at 100 %")
        log(f"backup {backup_id}: states seen {sorted(set(seen))}")
        percent = self.find(f"tr[data-backup='{backup_id}'] [data-percent]").text
        assert percent == "100 %", percent
        self.wait(lambda d: d.find_element(By.CSS_SELECTOR, f"tr[data-backup='{backup_id}'] [data-field=size]").text != "—",
                  what="the size of the finished backup")
        self.screenshot("backups")
        self.open(f"/jobs/{backup_id}")
        assert self.find("h1 [data-job-state]").text == "completed"
        assert self.find("progress[data-progress]").get_attribute("value") in ("100", "100.0")
        self.screenshot("job")
        self.open("/jobs")
        self.screenshot("jobs")

    def schedule(self):
        log("create a schedule: the form previews its next runs")
        self.open("/schedules")
        form = self.find("#schedule-editor")
        self.fill("input[name=cron]", "*/15 * * * *", form)
        self.fill("input[name=timezone]", "Europe/Berlin", form)
        self.wait(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#schedule-preview li")) == 5
                  and ":00 " in d.find_element(By.CSS_SELECTOR, "#schedule-preview").text, what="the preview of the next runs")
        self.fill("input[name=cron]", "61 * * * *", form)
        self.visible("[data-preview-error]")
        self.fill("input[name=cron]", "30 2 * * *", form)
        self.wait(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#schedule-preview li")) == 5, what="the corrected preview")
        self.fill("input[name='retention.daily']", "7", form)
        self.screenshot("schedule-form")
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        self.wait(lambda d: len(d.find_elements(By.CSS_SELECTOR, "tr[id^=schedule-]")) == 1, what="the new schedule")
        runs = self.finds("tr[id^=schedule-] ul li")
        assert len(runs) == 3, [run.text for run in runs]
        self.screenshot("schedules")

    def start(self, menu, value=None):
        """Opens one of the test host's action menus (1 scan, 2 update), picks `value`, submits."""
        self.open("/servers")
        card = self.find("article.server[data-server='test-host']")
        card.find_elements(By.CSS_SELECTOR, "details.popover summary")[menu].click()
        form = card.find_elements(By.CSS_SELECTOR, "details.popover form")[menu]
        if value:
            Select(form.find_element(By.CSS_SELECTOR, "select")).select_by_value(value)
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()

    def wait_for_first_row(self, words, timeout=120):
        deadline = time.time() + timeout
        while not any(word in self.find("tbody tr").text for word in words):
            assert time.time() < deadline, f"the newest row never showed {words}"
            time.sleep(1)
            self.driver.refresh()

    def scan(self):
        log("scan the server twice and open what the second found and what changed")
        for kind in ("quick", "full"):
            self.start(1, kind)
            self.wait(EC.url_to_be(BASE + "/scans"), what="the scans page")
            self.wait_for_first_row(["completed"])
        self.screenshot("scans")
        self.find("tbody tr a").click()
        self.visible("h1")
        assert "compared with" in self.find("body").text, "the second scan is compared with the first"
        self.screenshot("scan")

    def update_check(self):
        log("check the server for package updates")
        self.start(2, "check")
        self.wait(EC.url_to_be(BASE + "/updates"), what="the updates page")
        self.wait_for_first_row(["completed", "failed"])
        self.screenshot("updates")

    def pause_and_resume(self):
        log("pause and resume backup-queue as admin")
        self.open("/")
        card = "article[data-queue='backup-queue']"
        self.find(f"{card} [data-pause]").click()
        self.wait(lambda d: d.find_element(By.CSS_SELECTOR, f"{card} [data-paused-badge]").is_displayed(), what="the paused badge")
        assert self.find(f"{card} [data-resume]").is_displayed()
        assert "paused" in self.find(f"{card} [data-reasons]").text
        self.find(f"{card} [data-resume]").click()
        self.wait(lambda d: not d.find_element(By.CSS_SELECTOR, f"{card} [data-paused-badge]").is_displayed(), what="the queue to resume")
        self.wait(lambda d: d.find_element(By.CSS_SELECTOR, f"{card} [data-pause]").is_displayed(), what="the pause button again")
        self.screenshot("overview")

    def forged_requests(self):
        log("forged writes without the CSRF token are refused")
        self.open("/")
        answer = self.fetch("POST", "/api/queues/backup-queue/pause")
        assert answer["status"] == 403 and "csrf_failed" in answer["body"], answer
        self.driver.execute_script(
            """const form = document.createElement('form');
               form.method = 'post'; form.action = '/api/queues/backup-queue/pause';
               const field = document.createElement('input'); field.name = 'paused'; field.value = 'true'; form.append(field);
               document.body.append(form); form.submit();""")
        self.wait(lambda d: "csrf_failed" in d.find_element(By.TAG_NAME, "body").text, what="the refusal of the forged form")
        self.open("/")
        state = self.fetch("GET", "/api/metrics/queues", body=None)
        assert '"isPaused":false' in state["body"].replace(" ", ""), state
        self.open("/users")
        self.screenshot("users")
        self.open("/audit")
        self.screenshot("audit")
        self.open("/updates")

    def viewer(self):
        log("a viewer sees no write controls")
        self.find(".who form button").click()
        self.wait(EC.url_contains("/login"), what="the sign-in page")
        self.screenshot("sign-in", height=800)
        self.fill("#username", ENV["MM_DASHBOARD_VIEWER"])
        self.fill("#password", ENV["MM_DASHBOARD_VIEWER_PASSWORD"])
        self.find("#login-form button[type=submit]").click()
        self.wait(EC.url_to_be(BASE + "/"), what="the overview as viewer")
        for path in ("/", "/servers", "/backups", "/schedules", "/jobs", "/scans", "/updates"):
            self.open(path)
            controls = self.finds("[data-api]")
            assert not controls, f"{path} shows a viewer {len(controls)} write control(s)"
        self.open("/users")
        assert "403" in self.find("h1").text
        answer = self.driver.execute_async_script(
            """const done = arguments[arguments.length - 1];
               fetch('/api/queues/backup-queue/pause', {method: 'POST', credentials: 'same-origin',
                 headers: {'Content-Type': 'application/json', 'X-CSRF-Token': document.querySelector('meta[name="csrf-token"]').content}, body: '{}'})
               .then(r => r.text().then(t => done({status: r.status, body: t})));""")
        assert answer["status"] == 403 and '"forbidden"' in answer["body"], answer
        self.open("/")
        self.driver.set_window_size(390, 844)
        time.sleep(0.3)
        self.driver.save_screenshot(os.path.join(SHOTS, "overview-mobile.png"))
        self.driver.set_window_size(1440, 1000)


def main():
    os.makedirs(SHOTS, exist_ok=True)
    driver = browser()
    flow = Flow(driver)
    try:
        flow.setup_admin()
        flow.add_server()
        flow.test_connection()
        flow.backup()
        flow.schedule()
        flow.scan()
        flow.update_check()
        flow.pause_and_resume()
        flow.forged_requests()
        flow.viewer()
        flow.check_console()
        assert not flow.console_errors, "browser console errors (CSP or script): " + "; ".join(flow.console_errors)
        log("all steps passed")
    except Exception:
        traceback.print_exc()
        try:
            driver.save_screenshot(os.path.join(SHOTS, "failure.png"))
            print("URL:", driver.current_url, "\nPAGE:", driver.find_element(By.TAG_NAME, "body").text[:4000], file=sys.stderr)
        except Exception:
            pass
        sys.exit(1)
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
