### إشعارات SAMIA-TAROT بالعربية (SAMIA-TAROT notices, Arabic).
###
### One message per kind of core/src/notices/kinds.rs (KINDS), named for the
### kind with "." written "-", with a .title and a .body. An optional parameter
### has an attribute of its own name, added after the body when it is given.
### Use only the kind's declared parameters; the tests check both catalogs.
###
### Times ($start) come formatted in the receiver's zone, and numbers in
### Arabic-Indic digits. A choice on a number names all six CLDR plural
### categories of Arabic: zero (0), one (1), two (2), few (3-10, 103-110...),
### many (11-99, 111-199...), other (100-102, 200-202...).
### Functions: UNIT($minutes) is "hours" for a whole number of hours (60 or
### more), else "minutes"; HOURS($minutes) is $minutes / 60; DAY($date) a day
### ("الثلاثاء، ٢ مارس"); MONTH($date) a month ("مارس ٢٠٢٧").
###
### Names the user gave (a service, a reason) may be in Latin letters: keep
### them between « » with Arabic words on both sides, and never directly
### before a number, so that they read in place.

## Shared pieces (messages see the arguments of the message that uses them).

lead-time =
    { UNIT($minutes) ->
        [hours]
            { HOURS($minutes) ->
                [zero] { HOURS($minutes) } ساعة
                [one] ساعة واحدة
                [two] ساعتين
                [few] { HOURS($minutes) } ساعات
                [many] { HOURS($minutes) } ساعة
               *[other] { HOURS($minutes) } ساعة
            }
       *[minutes]
            { $minutes ->
                [zero] { $minutes } دقيقة
                [one] دقيقة واحدة
                [two] دقيقتين
                [few] { $minutes } دقائق
                [many] { $minutes } دقيقة
               *[other] { $minutes } دقيقة
            }
    }

zodiac-name =
    { $zodiac ->
        [Aries] الحمل
        [Taurus] الثور
        [Gemini] الجوزاء
        [Cancer] السرطان
        [Leo] الأسد
        [Virgo] العذراء
        [Libra] الميزان
        [Scorpio] العقرب
        [Sagittarius] القوس
        [Capricorn] الجدي
        [Aquarius] الدلو
        [Pisces] الحوت
       *[other] { $zodiac }
    }

## Orders

order-delivered =
    .title = قراءتك جاهزة
    .body = تم تسليم طلبك رقم { $order_id }، ويمكنك الآن الاستماع إلى قراءتك.

order-call_completed =
    .title = انتهت مكالمتك
    .body = الطلب رقم { $order_id }: انتهت مكالمتك. شكرًا لثقتك بنا.

# To the reader.
order-rejected =
    .title = لم يُعتمد تسجيلك
    .body = الطلب رقم { $order_id }: أعاد المشرف تسجيلك، يُرجى تسجيله من جديد. السبب: { $reason }

## Calls ($role: the client who booked, or the reader)

call-booked =
    .title =
        { $role ->
            [reader] حجز جديد: «{ $service }»
           *[client] تم حجز «{ $service }»
        }
    .body =
        { $role ->
            [reader] الطلب رقم { $order_id }: مكالمة «{ $service }» موعدها { $start }.
           *[client] تم تأكيد طلبك رقم { $order_id }، وموعد «{ $service }» هو { $start }.
        }
    .pre_ritual = قبل المكالمة: { $pre_ritual }

call-moved =
    .title = تغيّر موعد مكالمتك
    .body = الطلب رقم { $order_id }: الموعد الجديد لـ«{ $service }» هو { $start }.

call-reminder =
    .title =
        { $role ->
            [reader] تذكير: مكالمة بعد { lead-time }
           *[client] تذكير: مكالمتك بعد { lead-time }
        }
    .body =
        { $role ->
            [reader] الطلب رقم { $order_id }: مكالمة «{ $service }» موعدها { $start }.
           *[client] الطلب رقم { $order_id }: موعد «{ $service }» هو { $start }.
        }
    .pre_ritual = قبل المكالمة: { $pre_ritual }

call-starting =
    .title = مكالمتك تبدأ الآن
    .body = الطلب رقم { $order_id }: حان موعد «{ $service }»، ويمكنك الانضمام الآن.

# To the admins.
call-missed =
    .title = قارئ لم يحضر موعد مكالمة
    .body = الطلب رقم { $order_id }: لم ينضم القارئ في الوقت المحدد، فتعذّرت المكالمة وأُلغي الطلب.

call-dropped =
    .title = أُنهيت مكالمتك
    .body = الطلب رقم { $order_id }: أنهى فريقنا هذه المكالمة وأُلغي الطلب.

## Profile

phone-verified =
    .title = تم التحقق من رقم هاتفك
    .body = أصبح رقم هاتفك موثّقًا. شكرًا لك.

## Horoscopes

horoscope-published =
    .title =
        { $scope ->
            [monthly] برج { zodiac-name }: توقعات الشهر
           *[daily] برج { zodiac-name }: توقعات اليوم
        }
    .body =
        { $scope ->
            [monthly] نُشرت توقعات برجك لشهر { MONTH($ref_date) }.
           *[daily] نُشرت توقعات برجك ليوم { DAY($ref_date) }.
        }
